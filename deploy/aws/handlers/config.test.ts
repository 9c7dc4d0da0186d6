import { describe, expect, it } from 'vitest';
import { LambdaConfigError, readAuthorizerConfig, readServerConfig } from './config.ts';

const KEK = 'A'.repeat(43);
const base = { GATEHOUSE_ISSUER: 'https://auth.example.com/', GATEHOUSE_KEK: KEK };

describe('readAuthorizerConfig', () => {
  it('reads the issuer and the audience, and nothing else', () => {
    expect(
      readAuthorizerConfig({ GATEHOUSE_ISSUER: 'https://a.example/', AUTHORIZER_AUDIENCE: 'https://api/' }),
    ).toEqual({
      issuer: 'https://a.example/',
      audience: 'https://api/',
    });
  });

  it.each([
    [{ AUTHORIZER_AUDIENCE: 'x' }, 'GATEHOUSE_ISSUER is required'],
    [
      { GATEHOUSE_ISSUER: 'https://a.example', AUTHORIZER_AUDIENCE: 'x' },
      'GATEHOUSE_ISSUER must end with "/"',
    ],
    [
      { GATEHOUSE_ISSUER: 'ftp://a.example/', AUTHORIZER_AUDIENCE: 'x' },
      'GATEHOUSE_ISSUER must be an http(s) URL',
    ],
    [{ GATEHOUSE_ISSUER: 'https://a.example/' }, 'AUTHORIZER_AUDIENCE is required'],
  ])('names the variable at fault (%#)', (env, message) => {
    expect(() => readAuthorizerConfig(env)).toThrow(LambdaConfigError);
    expect(() => readAuthorizerConfig(env)).toThrow(message);
  });
});

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
