import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KmsEndpoint, startKmsEndpoint } from '../testing/kms-endpoint.ts';
import { generateKmsKek, KmsKekError, openKmsKek } from './kms-kek.ts';

let kms: KmsEndpoint;
let client: KMSClient;
let keyId: string;

beforeAll(async () => {
  kms = await startKmsEndpoint();
  keyId = kms.createKey();
  // The real SDK, signing real SigV4 requests, pointed at the local endpoint.
  client = new KMSClient({
    endpoint: kms.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await kms.close();
});

describe('a KMS-protected key-encryption key', () => {
  it('opens, from its wrapped form, into the same key that sealed a private key', async () => {
    const { kek, wrappedKek } = await generateKmsKek({ client, keyId });
    const sealed = kek.seal(Buffer.from('private key bytes'), 'kid-1');
    const reopened = await openKmsKek({ client, keyId, wrappedKek });
    expect(reopened.open(sealed, 'kid-1').toString()).toBe('private key bytes');
    expect(reopened.id).toBe(kek.id);
    expect(reopened.deriveKey('client-secret').equals(kek.deriveKey('client-secret'))).toBe(true);
    expect(kms.calls).toEqual(['GenerateDataKey', 'Decrypt']);
  });

  it('keeps only KMS ciphertext in the wrapped form, never the key itself', async () => {
    const { kek, wrappedKek } = await generateKmsKek({ client, keyId });
    const wrapped = Buffer.from(wrappedKek, 'base64');
    expect(wrapped.length).toBeGreaterThan(32);
    // A wrapped KEK opens only through KMS: a KEK made from any 32 bytes of it is another key.
    const sealed = kek.seal(Buffer.from('x'), 'kid');
    for (let at = 0; at + 32 <= wrapped.length; at++) {
      const { createKek } = await import('./kek.ts');
      expect(() => createKek(wrapped.subarray(at, at + 32)).open(sealed, 'kid')).toThrow();
    }
  });

  it('refuses a wrapped key under another KMS key', async () => {
    const { wrappedKek } = await generateKmsKek({ client, keyId });
    const other = kms.createKey();
    await expect(openKmsKek({ client, keyId: other, wrappedKek })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_OPEN',
      message: expect.stringContaining(other),
    });
  });

  it('refuses an altered wrapped key', async () => {
    const { wrappedKek } = await generateKmsKek({ client, keyId });
    const bytes = Buffer.from(wrappedKek, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await expect(openKmsKek({ client, keyId, wrappedKek: bytes.toString('base64') })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_OPEN',
    });
  });

  it('refuses a wrapped key that is not base64 before calling KMS', async () => {
    const before = kms.calls.length;
    await expect(openKmsKek({ client, keyId, wrappedKek: 'not base64!' })).rejects.toThrow(KmsKekError);
    await expect(openKmsKek({ client, keyId, wrappedKek: 'A'.repeat(10_000) })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_WRAPPED',
    });
    expect(kms.calls.length).toBe(before);
  });

  it('says which key and what to check when KMS refuses or is unreachable', async () => {
    const disabled = kms.createKey();
    const { wrappedKek } = await generateKmsKek({ client, keyId: disabled });
    kms.disableKey(disabled);
    await expect(openKmsKek({ client, keyId: disabled, wrappedKek })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_UNAVAILABLE',
      message: `KMS key ${disabled}: the key is disabled`,
    });
    const missing = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000';
    await expect(generateKmsKek({ client, keyId: missing })).rejects.toMatchObject({
      message: `KMS key ${missing}: no such key in this account and region`,
    });
    const offline = new KMSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-test-secret' },
      maxAttempts: 1,
    });
    await expect(generateKmsKek({ client: offline, keyId })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_UNAVAILABLE',
      message: expect.stringMatching(/the call failed \(.*ECONNREFUSED/),
    });
    offline.destroy();
  });
});
