/**
 * A local token issuer for tests: a real `node:http` server on 127.0.0.1 serving the discovery
 * document and JWKS, with keys for every supported algorithm. Tokens are minted with jose (a
 * third-party library) or, for hostile cases, signed by hand from raw JSON text.
 */
import {
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  constants as rsa,
  sign,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { createTestFeeds, etagOf, type TestFeeds } from './test-feeds.ts';

/** Algorithms the test issuer holds keys for. */
export type TestAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** One signing key of the test issuer. */
export interface TestKey {
  readonly kid: string;
  readonly alg: TestAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

/** Options for minting a token. */
export interface MintOptions {
  readonly alg?: TestAlgorithm;
  /** Sign with this key (e.g. an attacker's) instead of the issuer's key for `alg`. */
  readonly key?: TestKey;
  /** Protected header members added or replaced (`undefined` removes one). */
  readonly header?: Record<string, unknown>;
}

/** A running test issuer. */
export interface TestIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
  readonly keys: Readonly<Record<TestAlgorithm, TestKey>>;
  /** Default RFC 9068 claims for a client `svc-a` with `read:contacts`, overridable. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A token signed with jose (claims with `undefined` values are dropped). */
  mint(overrides?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A token from raw header and payload JSON text, signed by hand (for hostile cases). */
  signRaw(
    headerJson: string,
    payloadJson: string,
    key: TestKey | { hmacSecret: string | Buffer },
    alg?: string,
  ): string;
  /** Replaces the published JWKS keys (null: back to the issuer's own keys). */
  setJwks(keys: Record<string, unknown>[] | null): void;
  /** When false, discovery, JWKS and the feeds answer 503. */
  setAvailable(up: boolean): void;
  /** `Cache-Control` sent with the JWKS (default none). */
  setCacheControl(value: string | undefined): void;
  /**
   * How the JWKS answers carry an entity tag: `strong` (default: an `ETag`, and 304 to a matching
   * `If-None-Match`), `none` (no `ETag`, always 200), `not-modified` (304 to every request, asked or
   * not, as a broken server or cache might).
   */
  setJwksEtag(mode: 'strong' | 'none' | 'not-modified'): void;
  /** Members added to the discovery document (e.g. `gatehouse_revocation_feed_endpoint`). */
  setDiscoveryExtra(members: Record<string, unknown>): void;
  /** Requests served; `jwksNotModified` counts the JWKS requests answered 304 (also in `jwks`). */
  readonly hits: { discovery: number; jwks: number; jwksNotModified: number };
  /** The `If-None-Match` of the last JWKS request (undefined: none sent). */
  readonly lastJwksIfNoneMatch: string | undefined;
  /** The revocation and policy feeds it serves (docs/feeds.md). */
  readonly feeds: TestFeeds;
  close(): Promise<void>;
}

/** Creates a fresh key pair for `alg`, e.g. an attacker's. */
export function createTestKey(
  alg: TestAlgorithm,
  kid: string = `${alg.toLowerCase()}-${randomUUID()}`,
): TestKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

function b64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

/** Signs `input` the JOSE way for `alg` (raw r||s for ECDSA). */
function signInput(input: Buffer, key: TestKey, alg: string): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', input, key.privateKey);
    case 'RS384':
      return sign('sha384', input, key.privateKey);
    case 'PS256':
      return sign('sha256', input, {
        key: key.privateKey,
        padding: rsa.RSA_PKCS1_PSS_PADDING,
        saltLength: rsa.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'ES256':
      return sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, input, key.privateKey);
    default:
      throw new Error(`test issuer cannot sign ${alg}`);
  }
}

/** Starts a test issuer on an ephemeral loopback port. */
export async function startTestIssuer(
  options: { audience?: string; issuerPath?: string } = {},
): Promise<TestIssuer> {
  const keys: Record<TestAlgorithm, TestKey> = {
    RS256: createTestKey('RS256'),
    PS256: createTestKey('PS256'),
    ES256: createTestKey('ES256'),
    EdDSA: createTestKey('EdDSA'),
  };
  let published: Record<string, unknown>[] | null = null;
  let up = true;
  let cacheControl: string | undefined;
  let discoveryExtra: Record<string, unknown> = {};
  const hits = { discovery: 0, jwks: 0, jwksNotModified: 0 };
  let etagMode: 'strong' | 'none' | 'not-modified' = 'strong';
  let lastJwksIfNoneMatch: string | undefined;
  const audience = options.audience ?? 'https://contacts.example/';
  const feeds = createTestFeeds(audience);
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    if (feeds.handle(req, res, up)) return;
    if (!up) {
      res.writeHead(503).end();
      return;
    }
    if (path.endsWith('/.well-known/openid-configuration')) {
      hits.discovery++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}.well-known/jwks.json`, ...discoveryExtra }));
      return;
    }
    if (path.endsWith('/.well-known/jwks.json')) {
      hits.jwks++;
      lastJwksIfNoneMatch = req.headers['if-none-match'];
      const body = JSON.stringify({ keys: published ?? Object.values(keys).map((k) => k.jwk) });
      const etag = etagOf(body);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cacheControl !== undefined) headers['cache-control'] = cacheControl;
      if (etagMode !== 'none') headers.etag = etag;
      if (etagMode === 'not-modified' || (etagMode === 'strong' && lastJwksIfNoneMatch === etag)) {
        hits.jwksNotModified++;
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, headers);
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}${options.issuerPath ?? '/'}`;

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    const base: Record<string, unknown> = {
      iss: issuer,
      sub: 'svc-a',
      aud: audience,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      client_id: 'svc-a',
      scope: 'read:contacts',
      ...overrides,
    };
    for (const key of Object.keys(base)) if (base[key] === undefined) delete base[key];
    return base;
  };

  return {
    issuer,
    jwksUri: `${issuer}.well-known/jwks.json`,
    audience,
    keys,
    claims,
    async mint(overrides = {}, mintOptions = {}) {
      const alg = mintOptions.alg ?? 'RS256';
      const key = mintOptions.key ?? keys[alg];
      const header: Record<string, unknown> = {
        alg: key.alg,
        kid: key.kid,
        typ: 'at+jwt',
        ...mintOptions.header,
      };
      for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name];
      return new SignJWT(claims(overrides))
        .setProtectedHeader(header as { alg: string })
        .sign(key.privateKey);
    },
    signRaw(headerJson, payloadJson, key, alg) {
      const input = `${b64(headerJson)}.${b64(payloadJson)}`;
      if ('hmacSecret' in key) {
        return `${input}.${createHmac('sha256', key.hmacSecret).update(input).digest('base64url')}`;
      }
      return `${input}.${signInput(Buffer.from(input), key, alg ?? key.alg).toString('base64url')}`;
    },
    setJwks(list) {
      published = list;
    },
    setAvailable(value) {
      up = value;
    },
    setCacheControl(value) {
      cacheControl = value;
    },
    setJwksEtag(mode) {
      etagMode = mode;
    },
    setDiscoveryExtra(members) {
      discoveryExtra = members;
    },
    hits,
    get lastJwksIfNoneMatch() {
      return lastJwksIfNoneMatch;
    },
    feeds,
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
