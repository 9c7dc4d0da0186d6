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

  it('reads a cognito profile: app client ids from the audience, the resource server from its flag or variable', () => {
    const cognito = {
      AUTHORIZER_POLICY: 'p.json',
      GATEHOUSE_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    };
    expect(
      readForwardAuthConfig(
        { 'issuer-profile': 'cognito', audience: 'client-a, client-b' },
        { ...cognito, AUTHORIZER_RESOURCE_SERVER: 'https://contacts.example.com' },
      ),
    ).toMatchObject({
      audience: ['client-a', 'client-b'],
      issuerProfile: { name: 'cognito', resourceServer: 'https://contacts.example.com' },
    });
  });

  it('reads the generic profile claim names from --scope-claim, --audience-claim and --client-id-claim', () => {
    expect(
      readForwardAuthConfig(
        { 'issuer-profile': 'generic', 'scope-claim': 'scp', 'client-id-claim': 'azp' },
        { ...env, AUTHORIZER_AUDIENCE_CLAIM: 'resource' },
      ).issuerProfile,
    ).toEqual({ name: 'generic', scopeClaim: 'scp', audienceClaim: 'resource', clientIdClaim: 'azp' });
  });

  it.each([
    [
      { 'issuer-profile': 'auth0', 'scope-claim': 'scp' },
      env,
      '--scope-claim / AUTHORIZER_SCOPE_CLAIM applies to the generic issuer profile only',
    ],
    [
      { 'issuer-profile': 'keycloak' },
      { ...env, AUTHORIZER_RESOURCE_SERVER: 'x' },
      'AUTHORIZER_RESOURCE_SERVER applies to the cognito issuer profile only',
    ],
    [
      { 'issuer-profile': 'auth0' },
      { ...env, AUTHORIZER_POLICY: 'remote' },
      'with the auth0 profile give a policy file',
    ],
    [{ 'issuer-profile': 'cognito', audience: 'a,,b' }, env, 'comma-separated list of app client ids'],
    [{ 'issuer-profile': 'okta' }, env, 'AUTHORIZER_ISSUER_PROFILE must be one of'],
  ])('refuses a profile setting that cannot work (%#)', (flags, variables, message) => {
    expect(() => readForwardAuthConfig(flags, variables)).toThrow(ConfigError);
    expect(() => readForwardAuthConfig(flags, variables)).toThrow(message);
  });
});
