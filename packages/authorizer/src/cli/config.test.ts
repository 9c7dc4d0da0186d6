import { describe, expect, it } from 'vitest';
import { ConfigError, readForwardAuthConfig } from './config.ts';

const env = { AUTHORIZER_AUDIENCE: 'https://contacts.example/', AUTHORIZER_POLICY: 'policy.json' };

describe('readForwardAuthConfig', () => {
  it('falls back to the environment and the DESIGN.md defaults', () => {
    expect(readForwardAuthConfig({}, env)).toEqual({
      issuer: 'http://localhost:4000/',
      audience: 'https://contacts.example/',
      port: 4002,
      host: '0.0.0.0',
      policy: 'policy.json',
      syncSeconds: 10,
      issuerProfile: 'gatehouse',
      envoyPrefix: '/envoy',
    });
  });

  it('prefers flags over variables', () => {
    const config = readForwardAuthConfig(
      { issuer: 'https://id.example/', port: '8080', audience: 'api', 'issuer-profile': 'gatehouse' },
      { ...env, GATEHOUSE_ISSUER: 'https://other.example/', AUTHORIZER_PORT: '9' },
    );
    expect(config).toMatchObject({ issuer: 'https://id.example/', port: 8080, audience: 'api' });
  });

  it('takes remote as the policy and the sync interval from GATEHOUSE_SYNC_SECONDS or --sync-seconds', () => {
    expect(
      readForwardAuthConfig({}, { ...env, AUTHORIZER_POLICY: 'remote', GATEHOUSE_SYNC_SECONDS: '3' }),
    ).toMatchObject({ policy: 'remote', syncSeconds: 3 });
    expect(
      readForwardAuthConfig({ 'sync-seconds': '7' }, { ...env, GATEHOUSE_SYNC_SECONDS: '3' }).syncSeconds,
    ).toBe(7);
  });

  it.each([
    [{ AUTHORIZER_POLICY: 'p.json' }, 'AUTHORIZER_AUDIENCE is required'],
    [{ AUTHORIZER_AUDIENCE: 'api' }, 'AUTHORIZER_POLICY is required'],
    [{ ...env, AUTHORIZER_PORT: 'http' }, 'AUTHORIZER_PORT must be a port number'],
    [{ ...env, AUTHORIZER_PORT: '70000' }, 'AUTHORIZER_PORT must be a port number'],
    [{ ...env, GATEHOUSE_ISSUER: 'localhost:4000' }, 'GATEHOUSE_ISSUER must be an http(s) URL'],
    [{ ...env, AUTHORIZER_ISSUER_PROFILE: 'okta' }, 'AUTHORIZER_ISSUER_PROFILE must be one of'],
    [{ ...env, GATEHOUSE_SYNC_SECONDS: '0' }, 'GATEHOUSE_SYNC_SECONDS must be whole seconds'],
    [{ ...env, GATEHOUSE_SYNC_SECONDS: 'soon' }, 'GATEHOUSE_SYNC_SECONDS must be whole seconds'],
  ])('fails with a message naming the variable (%#)', (vars, message) => {
    expect(() => readForwardAuthConfig({}, vars)).toThrow(ConfigError);
    expect(() => readForwardAuthConfig({}, vars)).toThrow(message);
  });
});
