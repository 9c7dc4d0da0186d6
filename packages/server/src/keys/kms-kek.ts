/**
 * A key-encryption key protected by AWS KMS (envelope encryption). The 32-byte KEK is a KMS data
 * key: `GenerateDataKey` makes it once and hands back, besides the plaintext, the same key
 * encrypted under a KMS key (the "wrapped KEK", safe to keep in configuration or next to the
 * data); at every start `Decrypt` unwraps it into memory only. Private signing keys stay sealed
 * under the KEK exactly as with a local one (`kek.ts`), so nothing else changes; the plaintext KEK
 * exists nowhere but in the running process, and only a principal allowed `kms:Decrypt` on that
 * KMS key, with this encryption context, can start a server on the data.
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#enveloping
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createKek, type Kek } from './kek.ts';

/**
 * Bound to every wrap and unwrap as additional authenticated data: a ciphertext made for another
 * purpose cannot be passed off as a KEK, and IAM policies can require it (`kms:EncryptionContext:purpose`).
 */
export const KMS_KEK_ENCRYPTION_CONTEXT: Readonly<Record<string, string>> = Object.freeze({
  purpose: 'gatehouse-kek',
});

/** Why a KMS KEK operation failed. */
export type KmsKekErrorCode = 'ERR_KMS_KEK_WRAPPED' | 'ERR_KMS_KEK_OPEN' | 'ERR_KMS_KEK_UNAVAILABLE';

/** A KMS KEK problem. Messages name the KMS key and the cause, never key material. */
export class KmsKekError extends Error {
  readonly code: KmsKekErrorCode;
  constructor(code: KmsKekErrorCode, message: string) {
    super(message);
    this.name = 'KmsKekError';
    this.code = code;
  }
}

/** Options of the KMS KEK functions. */
export interface KmsKekOptions {
  /** A KMS client (region, credentials, endpoint as the environment gives them). */
  readonly client: KMSClient;
  /** The symmetric KMS key: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
}

/** A freshly generated KEK and its wrapped form, to keep (`GATEHOUSE_KEK_WRAPPED`). */
export interface GeneratedKmsKek {
  readonly kek: Kek;
  /** The KEK encrypted under the KMS key, base64 (KMS's CiphertextBlob). Not secret. */
  readonly wrappedKek: string;
}

const KEY_BYTES = 32;
/** KMS ciphertext blobs of a 32-byte data key are well under this; anything longer is not one. */
const MAX_WRAPPED_CHARS = 8192;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Makes a new KEK with `GenerateDataKey` (AES_256) under `keyId`. */
export async function generateKmsKek({ client, keyId }: KmsKekOptions): Promise<GeneratedKmsKek> {
  const out = await call(keyId, () =>
    client.send(
      new GenerateDataKeyCommand({
        KeyId: keyId,
        KeySpec: 'AES_256',
        EncryptionContext: { ...KMS_KEK_ENCRYPTION_CONTEXT },
      }),
    ),
  );
  if (!out.Plaintext || !out.CiphertextBlob || out.Plaintext.length !== KEY_BYTES) {
    throw new KmsKekError('ERR_KMS_KEK_UNAVAILABLE', `KMS key ${keyId} returned no 32-byte data key`);
  }
  return { kek: takeKek(out.Plaintext), wrappedKek: Buffer.from(out.CiphertextBlob).toString('base64') };
}

/** Unwraps a KEK made by `generateKmsKek` with `Decrypt`, pinned to `keyId`. */
export async function openKmsKek(options: KmsKekOptions & { readonly wrappedKek: string }): Promise<Kek> {
  const { client, keyId } = options;
  const wrapped = options.wrappedKek.trim();
  if (wrapped.length > MAX_WRAPPED_CHARS || !BASE64.test(wrapped)) {
    throw new KmsKekError(
      'ERR_KMS_KEK_WRAPPED',
      'the wrapped key-encryption key must be the base64 CiphertextBlob KMS returned',
    );
  }
  const out = await call(keyId, () =>
    client.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(wrapped, 'base64'),
        // Pinning the key makes KMS refuse a ciphertext made under any other key.
        KeyId: keyId,
        EncryptionContext: { ...KMS_KEK_ENCRYPTION_CONTEXT },
      }),
    ),
  );
  if (!out.Plaintext || out.Plaintext.length !== KEY_BYTES) {
    throw new KmsKekError('ERR_KMS_KEK_OPEN', `KMS key ${keyId} did not return a 32-byte key-encryption key`);
  }
  return takeKek(out.Plaintext);
}

/** Builds the KEK (createKek copies the bytes) and wipes the plaintext KMS handed over. */
function takeKek(plaintext: Uint8Array): Kek {
  const bytes = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  try {
    return createKek(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** Runs a KMS call, turning its failures into a `KmsKekError` that says what to check. */
async function call<T>(keyId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') {
      throw new KmsKekError(
        'ERR_KMS_KEK_OPEN',
        `KMS key ${keyId} cannot open the wrapped key-encryption key (${name}): it was made under another key or context, or altered`,
      );
    }
    const hint: Record<string, string> = {
      AccessDeniedException:
        'the caller may not use it (kms:Decrypt / kms:GenerateDataKey with this encryption context)',
      NotFoundException: 'no such key in this account and region',
      DisabledException: 'the key is disabled',
      KMSInvalidStateException: 'the key is pending deletion or not usable',
      KeyUnavailableException: 'the key is unavailable now; retry',
    };
    const code = (error as { code?: unknown }).code;
    const cause = typeof code === 'string' ? `${name} ${code}` : name;
    throw new KmsKekError(
      'ERR_KMS_KEK_UNAVAILABLE',
      `KMS key ${keyId}: ${hint[name] ?? `the call failed (${cause})`}`,
    );
  }
}
