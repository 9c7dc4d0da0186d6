import { describe, expect, it } from 'vitest';
import { LambdaConfigError, readAuthorizerConfig } from './config.ts';

describe('readAuthorizerConfig', () => {
  it('reads a preloaded JWKS from AUTHORIZER_JWKS, and none when it is empty', () => {
    const keys = [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'x', y: 'y' }];
    const env = { GATEHOUSE_ISSUER: 'https://a.example/', AUTHORIZER_AUDIENCE: 'https://api/' };
    expect(readAuthorizerConfig({ ...env, AUTHORIZER_JWKS: JSON.stringify({ keys }) }).jwks).toEqual({
      keys,
    });
    expect(readAuthorizerConfig({ ...env, AUTHORIZER_JWKS: '' }).jwks).toBeUndefined();
  });

  it('never repeats the JWKS text in its error', () => {
    const text = '{"keys": [{"kid": "not-closed"';
    expect(() =>
      readAuthorizerConfig({
        GATEHOUSE_ISSUER: 'https://a.example/',
        AUTHORIZER_AUDIENCE: 'x',
        AUTHORIZER_JWKS: text,
      }),
    ).toThrow(/^AUTHORIZER_JWKS must be a JWKS, \{"keys": \[\.\.\.\]\}, as the issuer publishes it$/);
  });

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
    [
      { GATEHOUSE_ISSUER: 'https://a.example/', AUTHORIZER_AUDIENCE: 'x', AUTHORIZER_JWKS: '{"keys": [' },
      'AUTHORIZER_JWKS must be a JWKS',
    ],
    [
      { GATEHOUSE_ISSUER: 'https://a.example/', AUTHORIZER_AUDIENCE: 'x', AUTHORIZER_JWKS: '{"keys": []}' },
      'AUTHORIZER_JWKS must be a JWKS',
    ],
  ])('names the variable at fault (%#)', (env, message) => {
    expect(() => readAuthorizerConfig(env)).toThrow(LambdaConfigError);
    expect(() => readAuthorizerConfig(env)).toThrow(message);
  });
});
