/**
 * The key ring of a server that signs with AWS KMS asymmetric keys (`GATEHOUSE_SIGNING=kms`):
 * which KMS key signs for each algorithm (`GATEHOUSE_KMS_SIGNING_KEYS`), and the JWKS, which also
 * publishes the keys of `GATEHOUSE_KMS_PUBLISHED_KEYS` (verify only, never sign).
 *
 * Keys are managed in KMS and in the configuration, not through the Management API: rotation is a
 * new KMS key, which gets a new kid (its thumbprint). Publish it first (add it to
 * `GATEHOUSE_KMS_PUBLISHED_KEYS` so verifiers cache it), then make it sign and move the old key to
 * `GATEHOUSE_KMS_PUBLISHED_KEYS`, where it stays until every token it signed has expired (the
 * longest token lifetime, 24 hours, plus clock skew); then drop it and schedule its deletion in
 * KMS. Removing a key from both lists takes it out of the JWKS at once: that is revocation.
 * docs/deploy/aws.md walks through it.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import type { JsonWebKey } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { BadRequest, Forbidden, TemporarilyUnavailable } from '../http/errors.ts';
import type { SigningAlg, SigningKeyRecord } from '../store/store.ts';
import type { Jwks, KeyRing } from './key-ring.ts';
import type { KmsKeyRef } from './kms-key-list.ts';
import { KmsSigner, KmsSignerError, type KmsSigningKey, loadKmsSigningKey } from './kms-signer.ts';

/** Options of `openKmsKeyRing`. */
export interface KmsKeyRingOptions {
  client: KMSClient;
  /** Keys that sign, one per algorithm. */
  signingKeys: readonly KmsKeyRef[];
  /** Keys that are only published: the next key before it signs, retired keys until their tokens expire. */
  publishedKeys?: readonly KmsKeyRef[];
  /** When the keys were loaded (listed as `current_since`); default now. */
  now?: number;
}

/**
 * Loads every configured key's public half (one `kms:GetPublicKey` each) and checks the set: each
 * key can sign its algorithm, one signing key per algorithm, no key listed twice.
 * @throws KmsSignerError naming the key and the problem.
 */
export async function openKmsKeyRing(opts: KmsKeyRingOptions): Promise<KeyRing> {
  const { client } = opts;
  const signing = await Promise.all(opts.signingKeys.map((ref) => loadKmsSigningKey(client, ref)));
  const published = await Promise.all(
    (opts.publishedKeys ?? []).map((ref) => loadKmsSigningKey(client, ref)),
  );
  const bad = (message: string): never => {
    throw new KmsSignerError('ERR_KMS_SIGNING_KEY', message);
  };
  const byAlg = new Map<SigningAlg, KmsSigner>();
  for (const key of signing) {
    const other = byAlg.get(key.alg);
    if (other)
      bad(
        `KMS keys ${other.key.configuredAs} and ${key.configuredAs} both sign ${key.alg}: one key per algorithm signs`,
      );
    byAlg.set(key.alg, new KmsSigner(key));
  }
  const seen = new Map<string, KmsSigningKey>();
  for (const key of [...signing, ...published]) {
    const other = seen.get(key.kid);
    // Also catches one RSA key listed for RS256 and PS256: a key is used with one algorithm only (RFC 8725 3.1).
    if (other)
      bad(
        `KMS keys ${other.configuredAs} and ${key.configuredAs} are the same key (kid ${key.kid}): list each key once, for one algorithm`,
      );
    seen.set(key.kid, key);
  }
  return createKmsKeyRing(byAlg, published, opts.now ?? Date.now());
}

function createKmsKeyRing(
  signers: ReadonlyMap<SigningAlg, KmsSigner>,
  published: readonly KmsSigningKey[],
  loadedAt: number,
): KeyRing {
  const record = (key: KmsSigningKey, status: 'current' | 'previous'): SigningKeyRecord => ({
    kid: key.kid,
    alg: key.alg,
    publicJwk: { ...key.publicJwk },
    // Nothing private exists here: the private key never leaves KMS.
    encryptedPrivateKey: '',
    status,
    createdAt: loadedAt,
    activatedAt: status === 'current' ? loadedAt : null,
    retiredAt: null,
    revokedAt: null,
  });
  const records = [
    ...[...signers.values()].map((s) => record(s.key, 'current')),
    ...published.map((k) => record(k, 'previous')),
  ];
  const keys: JsonWebKey[] = records.map((r) =>
    Object.freeze({ ...r.publicJwk, kid: r.kid, alg: r.alg, use: 'sig' }),
  );
  const jwks: Jwks = Object.freeze({ keys: Object.freeze(keys) as JsonWebKey[] });
  const algs = [...signers.keys()].join(', ') || 'none';
  const missing = (alg: SigningAlg): string =>
    `no AWS KMS key signs ${alg} (GATEHOUSE_KMS_SIGNING_KEYS has: ${algs})` +
    (alg === 'RS256' ? '; the Management API needs an RS256 key' : '');
  const managedInKms = (): never => {
    throw new Forbidden(
      'operation_not_supported',
      'signing keys are AWS KMS keys here (GATEHOUSE_SIGNING=kms): rotate or revoke them in KMS and GATEHOUSE_KMS_SIGNING_KEYS / GATEHOUSE_KMS_PUBLISHED_KEYS (docs/deploy/aws.md)',
    );
  };

  return {
    async ensureSigningKey(alg) {
      // Called when an API chooses its algorithm: refusing here refuses the API, before any token.
      if (!signers.has(alg)) throw new BadRequest('invalid_body', missing(alg));
    },
    getSigner(alg) {
      const signer = signers.get(alg);
      if (signer) return Promise.resolve(signer);
      // An API made before the switch to KMS may still name an algorithm no KMS key signs: the
      // token endpoint answers 503 (not a 500), and the log says which; no local key is made.
      return Promise.reject(
        new TemporarilyUnavailable(`this server has no signing key for ${alg}, the API's signing algorithm`),
      );
    },
    getJwks: () => Promise.resolve(jwks),
    listKeys: () => Promise.resolve(records.map((r) => ({ ...r, publicJwk: { ...r.publicJwk } }))),
    // Public keys of a KMS key never change; the configuration changes with a new deployment.
    refresh: () => Promise.resolve(),
    rotateSigningKey: async () => managedInKms(),
    revokeSigningKey: async () => managedInKms(),
    maintain: () => Promise.resolve([]),
  };
}
