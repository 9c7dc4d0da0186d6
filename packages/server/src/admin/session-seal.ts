/**
 * Sealing of the console session record into its cookie value: AES-256-GCM with a random 96-bit
 * IV and a 128-bit tag, under a key derived from the key-encryption key, so every instance that
 * shares the KEK (as instances sharing a store must) can open a session another one started.
 * The browser holds only ciphertext: it can neither read nor change the access token inside.
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const AAD = Buffer.from('gatehouse:console-session:v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens session records, and derives the values bound to a session. */
export interface SessionSealer {
  /** Encrypts `plaintext`; returns base64url. */
  seal(plaintext: string): string;
  /** Decrypts what `seal` produced; null when it was not made with this key or was altered. */
  open(sealed: string): string | null;
  /** A keyed MAC of `value` for `purpose` (base64url), e.g. the CSRF token of a session id. */
  mac(purpose: string, value: string): string;
  /** Whether `candidate` is `mac(purpose, value)`, compared in constant time. */
  verifyMac(purpose: string, value: string, candidate: string): boolean;
}

/** Creates a sealer over a 32-byte secret (e.g. `kek.deriveKey('console-session')`). */
export function createSessionSealer(secret: Buffer): SessionSealer {
  if (secret.length !== 32) throw new Error('the console session secret must be 32 bytes');
  const derive = (label: string) =>
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `gatehouse:console:${label}`, 32));
  const encKey = derive('seal');
  const macKey = derive('mac');
  const mac = (purpose: string, value: string) =>
    createHmac('sha256', macKey).update(`${purpose}\0${value}`).digest('base64url');

  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed) {
      if (sealed.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length <= IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(AAD);
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
    mac,
    verifyMac(purpose, value, candidate) {
      const expected = Buffer.from(mac(purpose, value));
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
