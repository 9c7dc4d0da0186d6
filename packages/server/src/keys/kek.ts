/**
 * The key-encryption key (KEK): seals signing private keys at rest with AES-256-GCM and derives
 * purpose-bound keys (HKDF-SHA-256) such as the client-secret hashing key.
 *
 * Sealed format `v1.<iv>.<ciphertext>.<tag>`, each part base64url: a random 96-bit IV per seal,
 * a 128-bit tag, and additional authenticated data `gatehouse:v1:<aad>`, where callers pass the
 * record's identity (a signing key's kid) so a sealed value cannot be moved to another record.
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 * @see https://www.rfc-editor.org/rfc/rfc5869
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A loaded key-encryption key. The raw key never leaves this module's closure. */
export interface Kek {
  /** Non-secret fingerprint of the KEK (16 hex), to tell instances with different KEKs apart. */
  readonly id: string;
  /** Encrypts `plaintext`, binding it to `aad`; returns the compact `v1.` string. */
  seal(plaintext: Buffer, aad: string): string;
  /** Decrypts what `seal` produced with the same `aad`; throws `KekError` (ERR_KEK_OPEN) otherwise. */
  open(sealed: string, aad: string): Buffer;
  /** A 32-byte key for one purpose, derived with HKDF-SHA-256 (`info` = `gatehouse:<label>`). */
  deriveKey(label: string): Buffer;
}

/** Why a KEK operation failed. */
export type KekErrorCode = 'ERR_KEK_INVALID' | 'ERR_KEK_FILE' | 'ERR_KEK_OPEN';

/** A key-encryption key problem. Messages never contain key material or plaintext. */
export class KekError extends Error {
  readonly code: KekErrorCode;
  constructor(code: KekErrorCode, message: string) {
    super(message);
    this.name = 'KekError';
    this.code = code;
  }
}

/** Where `loadKek` keeps a generated KEK inside the data dir. */
export const KEK_FILE_NAME = 'kek';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const SEAL_INFO = 'gatehouse-internal:seal:v1';

/**
 * Parses a KEK from its base64url text (32 bytes, 43 characters, no padding). `source` names where
 * it came from in the error, which never echoes the value.
 */
export function parseKek(value: string, source = 'GATEHOUSE_KEK'): Buffer {
  const trimmed = value.trim();
  if (!BASE64URL_32.test(trimmed)) {
    throw new KekError(
      'ERR_KEK_INVALID',
      `${source} must be 32 random bytes in base64url (43 characters of A-Z a-z 0-9 - _, no padding); ` +
        `got ${trimmed.length} characters. Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  }
  const key = Buffer.from(trimmed, 'base64url');
  if (key.length !== KEY_BYTES)
    throw new KekError('ERR_KEK_INVALID', `${source} does not decode to 32 bytes`);
  return key;
}

/** Builds a `Kek` around 32 raw key bytes (copied). */
export function createKek(rawKey: Buffer): Kek {
  if (rawKey.length !== KEY_BYTES)
    throw new KekError('ERR_KEK_INVALID', 'a key-encryption key must be 32 bytes');
  const key = Buffer.from(rawKey);
  const derive = (info: string): Buffer =>
    Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES));
  // The AES key is itself derived, so the raw KEK only ever serves as HKDF input key material.
  const sealKey = derive(SEAL_INFO);
  const id = createHash('sha256').update(derive('gatehouse-internal:kek-id')).digest('hex').slice(0, 16);
  const aadBytes = (aad: string): Buffer => Buffer.from(`gatehouse:v1:${aad}`, 'utf8');
  const openFailed = (): KekError =>
    new KekError(
      'ERR_KEK_OPEN',
      'a sealed value could not be opened: it was sealed under another key-encryption key, for another record, or was altered',
    );

  return {
    id,
    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadBytes(aad));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}.${tag.toString('base64url')}`;
    },
    open(sealed, aad) {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') throw openFailed();
      const iv = Buffer.from(parts[1] ?? '', 'base64url');
      const ct = Buffer.from(parts[2] ?? '', 'base64url');
      const tag = Buffer.from(parts[3] ?? '', 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw openFailed();
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aadBytes(aad));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ct), decipher.final()]);
      } catch {
        throw openFailed();
      }
    },
    deriveKey(label) {
      return derive(`gatehouse:${label}`);
    },
  };
}

/** Options of `loadKek`: the data dir, and the `GATEHOUSE_KEK` value when set (config.ts reads it). */
export interface LoadKekOptions {
  dataDir: string;
  kekEnv?: string | undefined;
}

/**
 * Loads the KEK: from `GATEHOUSE_KEK` when given, else from `<dataDir>/kek`, generating that file
 * once (mode 0600, data dir created 0700) so the next start reuses it.
 */
export async function loadKek({ dataDir, kekEnv }: LoadKekOptions): Promise<Kek> {
  if (kekEnv !== undefined && kekEnv !== '') return createKek(parseKek(kekEnv, 'GATEHOUSE_KEK'));
  const file = join(dataDir, KEK_FILE_NAME);
  const existing = await readKekFile(file);
  if (existing) return createKek(existing);

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Written under a temporary name and hard-linked into place: link() fails when `kek` exists, so
  // two processes starting together agree on one KEK and no reader ever sees a half-written file.
  const tmp = join(dataDir, `.kek-${randomBytes(8).toString('hex')}.tmp`);
  await writeFile(tmp, `${randomBytes(KEY_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  try {
    await link(tmp, file);
  } catch (err) {
    if (!isErrno(err, 'EEXIST'))
      throw new KekError('ERR_KEK_FILE', `cannot write the key-encryption key file ${file}`);
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const key = await readKekFile(file);
  if (!key) throw new KekError('ERR_KEK_FILE', `cannot read the key-encryption key file ${file}`);
  return createKek(key);
}

async function readKekFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw new KekError('ERR_KEK_FILE', `cannot read the key-encryption key file ${file}`);
  }
  return parseKek(text, `the key-encryption key file ${file}`);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
