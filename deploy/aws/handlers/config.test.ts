import { describe, expect, it } from 'vitest';
import { LambdaConfigError, readAuthorizerConfig } from './config.ts';

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
