import { describe, expect, it } from 'vitest';
import { LambdaConfigError } from './config.ts';
import { readServerConfig } from './server-config.ts';

const KEK = 'A'.repeat(43);
const base = { GATEHOUSE_ISSUER: 'https://auth.example.com/', GATEHOUSE_KEK: KEK };

describe('readServerConfig', () => {
  it('defaults the table and takes a local key-encryption key', () => {
    expect(readServerConfig(base)).toMatchObject({
      issuer: 'https://auth.example.com/',
      table: 'gatehouse',
      dynamodbEndpoint: undefined,
      kek: { kind: 'local', value: KEK },
      admin: undefined,
      logLevel: 'info',
    });
  });

  it('signs with AWS KMS keys when GATEHOUSE_SIGNING=kms names them', () => {
    const config = readServerConfig({
      ...base,
      GATEHOUSE_SIGNING: 'kms',
      GATEHOUSE_KMS_SIGNING_KEYS: 'RS256=alias/gatehouse-signing',
      GATEHOUSE_KMS_PUBLISHED_KEYS: 'alias/gatehouse-old',
      GATEHOUSE_SYNC_SECONDS: '30',
      GATEHOUSE_KEY_ROTATION_DAYS: '0.5',
    });
    expect(config.signing).toEqual({
      kind: 'kms',
      signingKeys: [{ keyId: 'alias/gatehouse-signing', alg: 'RS256' }],
      publishedKeys: [{ keyId: 'alias/gatehouse-old', alg: undefined }],
    });
    expect(config.syncSeconds).toBe(30);
    expect(config.keyRotationDays).toBe(0.5);
    expect(readServerConfig(base)).toMatchObject({
      signing: { kind: 'local' },
      syncSeconds: 10,
      keyRotationDays: 0,
    });
  });

  it('takes a KMS-wrapped key-encryption key instead', () => {
    const config = readServerConfig({
      GATEHOUSE_ISSUER: 'https://auth.example.com/',
      GATEHOUSE_KMS_KEY_ID: 'alias/gatehouse',
      GATEHOUSE_KEK_WRAPPED: 'AQID',
    });
    expect(config.kek).toEqual({ kind: 'kms', keyId: 'alias/gatehouse', wrapped: 'AQID' });
  });

  it.each([
    [{ GATEHOUSE_ISSUER: 'https://a.example/' }, 'GATEHOUSE_KEK is required'],
    [{ ...base, GATEHOUSE_KEK: 'short' }, 'GATEHOUSE_KEK must be 32 random bytes'],
    [{ ...base, GATEHOUSE_KMS_KEY_ID: 'k' }, 'GATEHOUSE_KEK must not be set together'],
    [
      { GATEHOUSE_ISSUER: 'https://a.example/', GATEHOUSE_KMS_KEY_ID: 'k' },
      'GATEHOUSE_KEK_WRAPPED is required',
    ],
    [
      { GATEHOUSE_ISSUER: 'https://a.example/', GATEHOUSE_KEK_WRAPPED: 'AQID' },
      'GATEHOUSE_KMS_KEY_ID is required',
    ],
    [
      { ...base, GATEHOUSE_ADMIN_CLIENT_ID: 'admin' },
      'GATEHOUSE_ADMIN_CLIENT_SECRET must be set with its pair',
    ],
    [
      { ...base, GATEHOUSE_ADMIN_CLIENT_ID: 'a', GATEHOUSE_ADMIN_CLIENT_SECRET: 'short' },
      'at least 32 characters',
    ],
    [{ ...base, GATEHOUSE_DYNAMODB_TABLE: 'a b' }, 'GATEHOUSE_DYNAMODB_TABLE must be'],
    [{ ...base, GATEHOUSE_LOG_LEVEL: 'loud' }, 'GATEHOUSE_LOG_LEVEL must be one of'],
    [{ ...base, GATEHOUSE_SIGNING: 'hardware' }, 'GATEHOUSE_SIGNING must be local or kms'],
    [
      { ...base, GATEHOUSE_SIGNING: 'kms' },
      'GATEHOUSE_KMS_SIGNING_KEYS is required with GATEHOUSE_SIGNING=kms',
    ],
    [
      { ...base, GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: 'RS256=not-a-key-id' },
      'GATEHOUSE_KMS_SIGNING_KEYS entry 1: must be a KMS key id',
    ],
    [{ ...base, GATEHOUSE_KMS_SIGNING_KEYS: 'alias/gatehouse' }, 'only read with GATEHOUSE_SIGNING=kms'],
    [
      { ...base, GATEHOUSE_SYNC_SECONDS: '0' },
      'GATEHOUSE_SYNC_SECONDS must be a whole number from 1 to 3600',
    ],
    [{ ...base, GATEHOUSE_KEY_ROTATION_DAYS: '-1' }, 'GATEHOUSE_KEY_ROTATION_DAYS must be a number'],
  ])('refuses a bad environment, naming the variable and never the value (%#)', (env, message) => {
    expect(() => readServerConfig(env)).toThrow(LambdaConfigError);
    expect(() => readServerConfig(env)).toThrow(message);
    try {
      readServerConfig(env);
    } catch (error) {
      for (const value of Object.values(env))
        if (value.length > 8) expect((error as Error).message).not.toContain(value);
    }
  });
});
