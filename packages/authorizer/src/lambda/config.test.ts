import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/errors.ts';
import { createTestKey } from '../testing/test-issuer.ts';
import { readLambdaConfig } from './config.ts';

const base = {
  GATEHOUSE_ISSUER: 'https://id.example/',
  AUTHORIZER_AUDIENCE: 'https://contacts.example/',
  AUTHORIZER_POLICY: '{"routes":[{"method":"GET","path":"/contacts","scopes":["read:contacts"]}]}',
};
const jwk = createTestKey('ES256').jwk;

describe('readLambdaConfig', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-lambda-config-'));
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads no preloaded JWKS and the default revocation feed when unset', () => {
    expect(readLambdaConfig(base)).toMatchObject({ jwks: undefined, revocationFeed: undefined });
  });

  it('reads AUTHORIZER_JWKS inline', () => {
    const config = readLambdaConfig({ ...base, AUTHORIZER_JWKS: JSON.stringify({ keys: [jwk] }) });
    expect(config.jwks).toEqual({ keys: [jwk] });
  });

  it('reads AUTHORIZER_JWKS from a file beside the code, or at an absolute path', () => {
    const relative = readLambdaConfig({ ...base, LAMBDA_TASK_ROOT: dir, AUTHORIZER_JWKS: 'jwks.json' });
    expect(relative.jwks).toEqual({ keys: [jwk] });
    const absolute = readLambdaConfig({ ...base, AUTHORIZER_JWKS: join(dir, 'jwks.json') });
    expect(absolute.jwks).toEqual({ keys: [jwk] });
  });

  it.each([
    ['text that is not JSON', '{"keys": [', /^AUTHORIZER_JWKS must be a JWKS/],
    [
      'a JSON object without keys',
      '{"jwks_uri": "https://id.example/jwks"}',
      /^AUTHORIZER_JWKS must be a JWKS/,
    ],
    ['an empty key list', '{"keys": []}', /^AUTHORIZER_JWKS must be a JWKS/],
    [
      'duplicate members',
      `{"keys": [], "keys": [${JSON.stringify(jwk)}]}`,
      /^AUTHORIZER_JWKS must be a JWKS/,
    ],
    [
      'a private key',
      JSON.stringify({ keys: [{ ...jwk, d: 'secret' }] }),
      /^AUTHORIZER_JWKS keys\[0\] refused: private key material$/,
    ],
    [
      'a key it cannot use',
      JSON.stringify({ keys: [jwk, { ...jwk, crv: 'P-384' }] }),
      /^AUTHORIZER_JWKS keys\[1\] refused: crv$/,
    ],
    ['a file that is not there', 'missing.json', /^AUTHORIZER_JWKS cannot read .*missing\.json$/],
  ])('stops at start, naming AUTHORIZER_JWKS, on %s', (_name, value, message) => {
    const read = () => readLambdaConfig({ ...base, LAMBDA_TASK_ROOT: dir, AUTHORIZER_JWKS: value });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });

  it('never puts private key material in the error', () => {
    const secret = 'very-secret-private-exponent';
    try {
      readLambdaConfig({ ...base, AUTHORIZER_JWKS: JSON.stringify({ keys: [{ ...jwk, d: secret }] }) });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });

  it('reads AUTHORIZER_REVOCATION_FEED: off, or a URL', () => {
    expect(readLambdaConfig({ ...base, AUTHORIZER_REVOCATION_FEED: 'off' }).revocationFeed).toBe(false);
    expect(
      readLambdaConfig({ ...base, AUTHORIZER_REVOCATION_FEED: 'https://id.example/feeds/revocations' })
        .revocationFeed,
    ).toBe('https://id.example/feeds/revocations');
    expect(() => readLambdaConfig({ ...base, AUTHORIZER_REVOCATION_FEED: 'no' })).toThrow(
      /^AUTHORIZER_REVOCATION_FEED must be an http\(s\) URL/,
    );
  });
});
