/**
 * Compact JWS signing for access tokens with node:crypto alone (no jose on the hot path).
 *
 * Where the signature runs is chosen by measurement:
 * - With several cores available, `crypto.sign(alg, data, key, callback)` runs it on libuv's
 *   thread pool: the event loop keeps parsing requests while RSA works (an RS256-2048 signature
 *   costs close to a millisecond here), and the pool's threads put every core to work.
 * - With one core available (`os.availableParallelism()` honours `taskset` and cgroup CPU pinning),
 *   there is nothing to run in parallel and the hop only costs: measured with process.cpuUsage on
 *   one pinned core, an RS256 signature took 762 us synchronously, 818 us through the pool with 16
 *   in flight and 889 us with one (futex and eventfd wake-ups; more under gVisor). So it signs
 *   synchronously there. bench/token.bench.ts compares the whole endpoint with the raw ceiling.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
import { constants, type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';
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
  /** Sign on libuv's thread pool; default: when more than one core is available to the process. */
  offload?: boolean;
}

/**
 * Creates a signer that prebuilds the protected header per key.
 * @param typ the `typ` header (RFC 9068 access tokens: `at+jwt`)
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.1
 */
export function createJwtSigner(typ: string, opts: JwtSignerOptions = {}): JwtSigner {
  const offload = opts.offload ?? availableParallelism() > 1;
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
      if (!offload) {
        try {
          return Promise.resolve(
            `${signingInput}.${sign(p.digest, Buffer.from(signingInput), p.key).toString('base64url')}`,
          );
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise((resolve, reject) => {
        sign(p.digest, Buffer.from(signingInput), p.key, (err, signature) => {
          if (err) reject(err);
          else resolve(`${signingInput}.${signature.toString('base64url')}`);
        });
      });
    },
  };
}
