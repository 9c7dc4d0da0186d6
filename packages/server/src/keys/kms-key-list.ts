/**
 * Parsing of the AWS KMS signing key lists (`GATEHOUSE_KMS_SIGNING_KEYS`,
 * `GATEHOUSE_KMS_PUBLISHED_KEYS`): comma-separated entries `[ALG=]keyId`, where `keyId` is what
 * KMS accepts as a KeyId (key id, key ARN, alias name, alias ARN) and `ALG` the JWS algorithm the
 * key signs for (RS256, PS256 or ES256). Without `ALG`, it follows from the key: RSA keys sign
 * RS256, P-256 keys ES256. Pure: `config.ts` files call it and name the variable on failure.
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html#KMS-Sign-request-KeyId
 */

/** JWS algorithms an AWS KMS asymmetric key can sign for here. */
export type KmsSigningAlg = 'RS256' | 'PS256' | 'ES256';

/** One configured KMS key: what to call it in KMS, and the algorithm when the entry named one. */
export interface KmsKeyRef {
  readonly keyId: string;
  readonly alg: KmsSigningAlg | undefined;
}

const ALGS: readonly KmsSigningAlg[] = ['RS256', 'PS256', 'ES256'];
const MAX_KEYS = 10;
/** The KeyId forms KMS accepts (KeyId is at most 2048 characters). */
const KEY_ID_FORMS = [
  /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
  /^alias\/[A-Za-z0-9/_-]{1,250}$/,
  /^arn:aws[a-z-]*:kms:[a-z0-9-]{1,32}:\d{12}:(key\/[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250})$/,
];

/** The result of `parseKmsKeyList`: the keys, or the problem in words (without the value). */
export type KmsKeyListResult =
  | { readonly ok: true; readonly keys: readonly KmsKeyRef[] }
  | { readonly ok: false; readonly problem: string };

/** Whether `value` is a KeyId form KMS accepts. */
export function isKmsKeyId(value: string): boolean {
  return value.length <= 2048 && KEY_ID_FORMS.some((form) => form.test(value));
}

/** Parses `[ALG=]keyId[,[ALG=]keyId...]`; at most one entry may name an algorithm explicitly per algorithm. */
export function parseKmsKeyList(value: string): KmsKeyListResult {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return { ok: false, problem: 'names no KMS key' };
  if (entries.length > MAX_KEYS) return { ok: false, problem: `names more than ${MAX_KEYS} KMS keys` };
  const keys: KmsKeyRef[] = [];
  for (const [i, entry] of entries.entries()) {
    const eq = entry.indexOf('=');
    const algText = eq === -1 ? undefined : entry.slice(0, eq);
    const keyId = eq === -1 ? entry : entry.slice(eq + 1);
    if (algText !== undefined && !(ALGS as readonly string[]).includes(algText)) {
      return { ok: false, problem: `entry ${i + 1}: the algorithm must be one of ${ALGS.join(', ')}` };
    }
    if (!isKmsKeyId(keyId)) {
      return {
        ok: false,
        problem: `entry ${i + 1}: must be a KMS key id, key ARN, alias/<name> or alias ARN, optionally after ALG= (e.g. RS256=alias/gatehouse-signing)`,
      };
    }
    if (keys.some((k) => k.keyId === keyId)) {
      return { ok: false, problem: `entry ${i + 1}: names the same KMS key twice` };
    }
    keys.push({ keyId, alg: algText as KmsSigningAlg | undefined });
  }
  return { ok: true, keys };
}
