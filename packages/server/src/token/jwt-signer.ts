/**
 * Compact JWS signing for access tokens with node:crypto alone (no jose on the hot path).
 *
 * Where the signature runs is chosen by measurement: on libuv's thread pool
 * (`crypto.sign(alg, data, key, callback)`), by default even with a single core. With several cores
 * the pool's threads put every core to work while the event loop keeps parsing requests (an RS256-2048
 * signature costs about 270 us here). Pinned to one core (`taskset -c 0`, bench/token.bench.ts) it
 * still costs less CPU per token request than signing in line: 395 against 438 us for gatehouse's
 * lean token route, and 332 against 364 us for a bare node:http server that only signs, medians of
 * five interleaved rounds on the 2-core dev VM (perf: in line, the response's `writev` costs about
 * three times as much, the kernel's and the event loop's caches being cold after each signature;
 * on the pool, requests are parsed and answered in runs, and the signatures made in runs). In a loop
 * without HTTP both cost the same CPU per signature. On a busy core the pool's threads also win the
 * process a larger share of the core, which adds to its req/s but is no saving: compare CPU per
 * request. `offload: false` signs in line.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
import { constants, type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import type { Signer } from '../keys/key-ring.ts';
import type { SigningAlg } from '../store/store.ts';

/** What a signer needs per key, computed once. */
interface PreparedKey {
  /** base64url of the protected header, plus the `.` that follows it. */
  headerPrefix: string;
  digest: string | null;
  key: KeyObject | SignKeyObjectInput;
}

function prepareKey(alg: SigningAlg, privateKey: KeyObject): Omit<PreparedKey, 'headerPrefix'> {
  switch (alg) {
    case 'RS256':
      return { digest: 'sha256', key: privateKey };
    case 'PS256':
      // RFC 7518 3.5: the salt is as long as the hash output.
      return {
        digest: 'sha256',
        key: { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      };
    case 'ES256':
      // JWS wants the raw r||s pair (RFC 7518 3.4), not DER.
      return { digest: 'sha256', key: { key: privateKey, dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      // Ed25519 hashes internally; node:crypto takes a null digest (RFC 8037 3.1).
      return { digest: null, key: privateKey };
  }
}

/** Signs JWT claims as compact JWS with a key-ring signer. */
export interface JwtSigner {
  /** The compact JWS of `payloadJson` (a JSON text) with header `{alg, typ, kid}`. */
  sign(signer: Signer, payloadJson: string): Promise<string>;
}

/** Options of `createJwtSigner`. */
export interface JwtSignerOptions {
  /** Sign on libuv's thread pool (default true); false signs in line, blocking the event loop. */
  offload?: boolean;
}

/**
 * Creates a signer that prebuilds the protected header per key.
 * @param typ the `typ` header (RFC 9068 access tokens: `at+jwt`)
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.1
 */
export function createJwtSigner(typ: string, opts: JwtSignerOptions = {}): JwtSigner {
  const offload = opts.offload ?? true;
  const prepared = new WeakMap<Signer, PreparedKey>();
  const prepare = (signer: Signer): PreparedKey => {
    const header = JSON.stringify({ alg: signer.alg, typ, kid: signer.kid });
    const entry = {
      headerPrefix: `${Buffer.from(header).toString('base64url')}.`,
      ...prepareKey(signer.alg, signer.privateKey),
    };
    prepared.set(signer, entry);
    return entry;
  };
  return {
    sign(signer, payloadJson) {
      const p = prepared.get(signer) ?? prepare(signer);
      const signingInput = p.headerPrefix + Buffer.from(payloadJson).toString('base64url');
      // base64url text is ASCII: latin1 copies it byte for byte, without UTF-8 encoding.
      const data = Buffer.from(signingInput, 'latin1');
      if (!offload) {
        try {
          return Promise.resolve(`${signingInput}.${sign(p.digest, data, p.key).toString('base64url')}`);
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise((resolve, reject) => {
        sign(p.digest, data, p.key, (err, signature) => {
          if (err) reject(err);
          else resolve(`${signingInput}.${signature.toString('base64url')}`);
        });
      });
    },
  };
}
