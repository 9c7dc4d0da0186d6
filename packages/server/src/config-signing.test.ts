import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the signing configuration', () => {
  it('signs with local keys by default', () => {
    expect(loadConfig({}).signing).toEqual({ kind: 'local' });
    expect(loadConfig({ GATEHOUSE_SIGNING: 'local' }).signing).toEqual({ kind: 'local' });
  });

  it('reads the KMS signing and published keys with GATEHOUSE_SIGNING=kms', () => {
    const config = loadConfig({
      GATEHOUSE_SIGNING: 'kms',
      GATEHOUSE_KMS_SIGNING_KEYS: `RS256=${KEY},alias/gatehouse-es256`,
      GATEHOUSE_KMS_PUBLISHED_KEYS: 'alias/gatehouse-old',
    });
    expect(config.signing).toEqual({
      kind: 'kms',
      signingKeys: [
        { keyId: KEY, alg: 'RS256' },
        { keyId: 'alias/gatehouse-es256', alg: undefined },
      ],
      publishedKeys: [{ keyId: 'alias/gatehouse-old', alg: undefined }],
    });
  });

  it.each([
    [{ GATEHOUSE_SIGNING: 'hsm' }, 'GATEHOUSE_SIGNING', 'must be local or kms'],
    [{ GATEHOUSE_SIGNING: 'kms' }, 'GATEHOUSE_KMS_SIGNING_KEYS', 'is required with GATEHOUSE_SIGNING=kms'],
    [
      { GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: 'HS256=alias/x' },
      'GATEHOUSE_KMS_SIGNING_KEYS',
      'the algorithm must be one of',
    ],
    [
      { GATEHOUSE_KMS_SIGNING_KEYS: KEY },
      'GATEHOUSE_KMS_SIGNING_KEYS',
      'is only read with GATEHOUSE_SIGNING=kms',
    ],
    [
      { GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: KEY, GATEHOUSE_KMS_PUBLISHED_KEYS: KEY },
      'GATEHOUSE_KMS_PUBLISHED_KEYS',
      'names a key that GATEHOUSE_KMS_SIGNING_KEYS already has',
    ],
  ])('refuses %j, naming the variable', (env, variable, problem) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(problem);
  });
});

describe('the KMS-wrapped key-encryption key', () => {
  it('is read from GATEHOUSE_KMS_KEY_ID and GATEHOUSE_KEK_WRAPPED, and absent by default', () => {
    expect(loadConfig({}).kmsKek).toBeUndefined();
    expect(loadConfig({ GATEHOUSE_KMS_KEY_ID: KEY, GATEHOUSE_KEK_WRAPPED: 'AQIDBA==' }).kmsKek).toEqual({
      keyId: KEY,
      wrapped: 'AQIDBA==',
    });
  });

  it.each([
    [{ GATEHOUSE_KMS_KEY_ID: KEY }, 'GATEHOUSE_KEK_WRAPPED', 'is required with GATEHOUSE_KMS_KEY_ID'],
    [{ GATEHOUSE_KEK_WRAPPED: 'AQID' }, 'GATEHOUSE_KMS_KEY_ID', 'is required with GATEHOUSE_KEK_WRAPPED'],
    [
      { GATEHOUSE_KMS_KEY_ID: KEY, GATEHOUSE_KEK_WRAPPED: 'AQID', GATEHOUSE_KEK: 'A'.repeat(43) },
      'GATEHOUSE_KEK',
      'must not be set together with GATEHOUSE_KMS_KEY_ID',
    ],
    [
      { GATEHOUSE_KMS_KEY_ID: 'my key', GATEHOUSE_KEK_WRAPPED: 'AQID' },
      'GATEHOUSE_KMS_KEY_ID',
      'must be a KMS key id',
    ],
    [
      { GATEHOUSE_KMS_KEY_ID: KEY, GATEHOUSE_KEK_WRAPPED: 'not base64!' },
      'GATEHOUSE_KEK_WRAPPED',
      'base64 CiphertextBlob',
    ],
  ])('refuses %j, naming the variable', (env, variable, problem) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(problem);
  });
});
