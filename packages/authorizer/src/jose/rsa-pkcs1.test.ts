import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRs256Verify } from './rsa-pkcs1.ts';

const keyPair = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const pairs = [2048, 3072, 4096].map((bits) => ({ bits, ...keyPair(bits) }));

/** Signs an encoded message of our own making: the raw private operation, no padding added. */
function signEncoded(privateKey: KeyObject, em: Buffer): Buffer {
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** EMSA-PKCS1-v1_5 with the given DigestInfo prefix and digest, `bytes` long (RFC 8017 9.2). */
function encode(bytes: number, digestInfo: string, digest: Buffer, fill = 0xff): Buffer {
  const tail = Buffer.concat([Buffer.from(digestInfo, 'hex'), digest]);
  return Buffer.concat([
    Buffer.from([0, 1]),
    Buffer.alloc(bytes - 3 - tail.length, fill),
    Buffer.from([0]),
    tail,
  ]);
}

const SHA256_INFO = '3031300d060960864801650304020105000420';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** Our answer and crypto.verify's for the same input, signature and key. */
function both(publicKey: KeyObject, bytes: number, input: Buffer, signature: Buffer) {
  const ours = createRs256Verify(publicKey, bytes);
  let answer: boolean;
  try {
    answer = ours(input, signature);
  } catch {
    answer = false;
  }
  let reference: boolean;
  try {
    reference = verify('sha256', input, publicKey, signature);
  } catch {
    reference = false;
  }
  return { answer, reference };
}

describe('createRs256Verify', () => {
  it('accepts exactly what crypto.verify accepts: real signatures, and each with a flipped bit in input or signature', () => {
    for (const { bits, publicKey, privateKey } of pairs) {
      const bytes = bits / 8;
      for (let i = 0; i < 40; i++) {
        const input = randomBytes(1 + ((i * 37) % 900));
        const signature = sign('sha256', input, privateKey);
        expect(both(publicKey, bytes, input, signature)).toEqual({ answer: true, reference: true });
        const badSignature = Buffer.from(signature);
        badSignature[i % bytes]! ^= 1 << (i % 8);
        expect(both(publicKey, bytes, input, badSignature)).toEqual({ answer: false, reference: false });
        const badInput = Buffer.from(input);
        badInput[i % input.length]! ^= 0x80;
        expect(both(publicKey, bytes, badInput, signature)).toEqual({ answer: false, reference: false });
      }
    }
  });

  it('accepts one key’s signature check again and again, and refuses another key’s signature', () => {
    const [a, b] = pairs;
    const verifyA = createRs256Verify(a!.publicKey, 256);
    // another key's signature may be above this key's modulus, which throws: the caller's "invalid"
    const check = (input: Buffer, signature: Buffer) => {
      try {
        return verifyA(input, signature);
      } catch {
        return false;
      }
    };
    const input = Buffer.from('header.payload');
    const good = sign('sha256', input, a!.privateKey);
    const others = Array.from({ length: 8 }, () => sign('sha256', input, keyPair(2048).privateKey));
    expect([check(input, good), ...others.map((o) => check(input, o)), check(input, good)]).toEqual([
      true,
      ...others.map(() => false),
      true,
    ]);
    expect(createRs256Verify(b!.publicKey, 384)(input, sign('sha256', input, b!.privateKey))).toBe(true);
  });

  it('refuses encoded messages that lenient parsers took: other DigestInfo, short padding, trailing bytes, wrong block type', () => {
    const { publicKey, privateKey } = pairs[0]!;
    const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ');
    const digest = sha256(input);
    const good = encode(256, SHA256_INFO, digest);
    expect(both(publicKey, 256, input, signEncoded(privateKey, good))).toEqual({
      answer: true,
      reference: true,
    });
    const forged = [
      // SHA-256 DigestInfo without the NULL parameters
      encode(256, '302f300b06096086480165030402010420', digest),
      // SHA-1's DigestInfo around the first 20 bytes of the digest
      encode(256, '3021300906052b0e03021a05000414', digest.subarray(0, 20)),
      // garbage instead of 0xff padding (Bleichenbacher 2006: a parser that skips the padding)
      encode(256, SHA256_INFO, digest, 0x00),
      // block type 2 (encryption) instead of 1
      Buffer.concat([Buffer.from([0, 2]), good.subarray(2)]),
      // the digest, then garbage where a lax parser stops reading
      Buffer.concat([encode(248, SHA256_INFO, digest), Buffer.alloc(8, 0x41)]),
    ];
    for (const em of forged) {
      expect(em).toHaveLength(256);
      expect(both(publicKey, 256, input, signEncoded(privateKey, em))).toEqual({
        answer: false,
        reference: false,
      });
    }
  });

  it('refuses a signature not below the modulus (OpenSSL throws; the caller counts it invalid)', () => {
    const { publicKey } = pairs[0]!;
    const modulus = Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
    const input = Buffer.from('x');
    for (const signature of [modulus, Buffer.alloc(256, 0xff)]) {
      expect(() => createRs256Verify(publicKey, 256)(input, signature)).toThrow();
      expect(both(publicKey, 256, input, signature)).toEqual({ answer: false, reference: false });
    }
    expect(both(publicKey, 256, input, Buffer.alloc(256))).toEqual({ answer: false, reference: false });
  });
});
