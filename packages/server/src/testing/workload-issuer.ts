/**
 * A local workload issuer for tests: a real HTTP server (node:http, loopback) serving OpenID
 * discovery and a JWK Set, minting platform tokens with jose the way Kubernetes, SPIRE, AWS STS or
 * GitHub Actions do. It counts the requests it answers and can be stopped to play an unreachable
 * issuer.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A running local issuer. */
export interface WorkloadIssuer {
  /** The issuer identifier (`iss`), `http://127.0.0.1:<port>` (no trailing slash, like Kubernetes). */
  issuer: string;
  /** Requests answered, by path. */
  hits: Map<string, number>;
  /** Signs `claims` with the issuer's current key (or `key`), `kid` and `alg` overridable. */
  mint(
    claims: Record<string, unknown>,
    opts?: { kid?: string; alg?: string; key?: CryptoKey; typ?: string },
  ): Promise<string>;
  /** Stops answering (connections refused), to play an issuer that is down. */
  stop(): Promise<void>;
}

/** Starts an issuer with one ES256 key (`alg` RS256 for an RSA key). */
export async function startWorkloadIssuer(opts: { alg?: 'ES256' | 'RS256' } = {}): Promise<WorkloadIssuer> {
  const alg = opts.alg ?? 'RS256';
  const pair = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  const hits = new Map<string, number>();
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.setHeader('content-type', 'application/json');
    if (path === '/.well-known/openid-configuration') {
      res.end(
        JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/openid/v1/jwks`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [alg],
        }),
      );
    } else if (path === '/openid/v1/jwks') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    hits,
    mint(claims, o = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: o.alg ?? alg, kid: o.kid ?? kid, ...(o.typ ? { typ: o.typ } : {}) })
        .sign(o.key ?? pair.privateKey);
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
