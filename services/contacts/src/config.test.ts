import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTACTS_AUDIENCE } from './access/route-policy.ts';
import { ConfigError, loadConfig } from './config.ts';

describe('contacts configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4001,
      host: '127.0.0.1',
      issuer: 'http://localhost:4000/',
      audience: DEFAULT_CONTACTS_AUDIENCE,
      store: 'sqlite',
      table: 'contacts',
      dynamodbEndpoint: undefined,
      logLevel: 'info',
      policy: 'code',
      syncSeconds: 10,
    });
    expect(config.dataDir).toMatch(/\.contacts$/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      CONTACTS_PORT: '0',
      GATEHOUSE_ISSUER: 'https://auth.example.com/',
      CONTACTS_AUDIENCE: 'urn:contacts',
      CONTACTS_STORE: 'dynamodb',
      CONTACTS_TABLE: 'my-contacts',
      CONTACTS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      CONTACTS_DATA_DIR: '/var/lib/contacts',
      AWS_REGION: 'eu-west-1',
      CONTACTS_POLICY: 'remote',
      GATEHOUSE_SYNC_SECONDS: '2',
    });
    expect(config).toMatchObject({
      policy: 'remote',
      syncSeconds: 2,
      port: 0,
      issuer: 'https://auth.example.com/',
      audience: 'urn:contacts',
      store: 'dynamodb',
      table: 'my-contacts',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      dataDir: '/var/lib/contacts',
      awsRegion: 'eu-west-1',
    });
  });

  it('names the variable at fault', () => {
    const cases: Array<[string, string]> = [
      ['CONTACTS_PORT', '70000'],
      ['GATEHOUSE_ISSUER', 'http://no-trailing-slash'],
      ['GATEHOUSE_ISSUER', 'ftp://x/'],
      ['CONTACTS_STORE', 'postgres'],
      ['CONTACTS_TABLE', 'a'],
      ['CONTACTS_DYNAMODB_ENDPOINT', 'not a url'],
      ['CONTACTS_AUDIENCE', 'has space'],
      ['CONTACTS_POLICY', 'file'],
      ['GATEHOUSE_SYNC_SECONDS', '0'],
    ];
    for (const [variable, value] of cases) {
      expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
      try {
        loadConfig({ [variable]: value });
      } catch (error) {
        expect((error as ConfigError).variable).toBe(variable);
      }
    }
  });

  it('takes another issuer profile: Auth0 as the original deployment had it, Cognito with app client ids', () => {
    expect(
      loadConfig({
        CONTACTS_ISSUER_PROFILE: 'auth0',
        GATEHOUSE_ISSUER: 'https://contacts-demo.eu.auth0.com/',
        CONTACTS_AUDIENCE: 'https://contacts.example.com',
      }),
    ).toMatchObject({ issuerProfile: 'auth0', audience: 'https://contacts.example.com' });
    expect(
      loadConfig({
        CONTACTS_ISSUER_PROFILE: 'cognito',
        GATEHOUSE_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
        CONTACTS_AUDIENCE: 'client-a,client-b',
        CONTACTS_RESOURCE_SERVER: 'https://contacts.example.com',
      }),
    ).toMatchObject({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      audience: ['client-a', 'client-b'],
      issuerProfile: { name: 'cognito', resourceServer: 'https://contacts.example.com' },
    });
  });

  it.each([
    [{ CONTACTS_ISSUER_PROFILE: 'okta' }, 'CONTACTS_ISSUER_PROFILE: must be one of'],
    [{ GATEHOUSE_ISSUER: 'http://localhost:4000' }, 'GATEHOUSE_ISSUER: must end with "/"'],
    [
      { CONTACTS_ISSUER_PROFILE: 'auth0', CONTACTS_SCOPE_CLAIM: 'scp' },
      'CONTACTS_SCOPE_CLAIM: applies to CONTACTS_ISSUER_PROFILE=generic only',
    ],
    [
      { CONTACTS_ISSUER_PROFILE: 'keycloak', CONTACTS_POLICY: 'remote' },
      'CONTACTS_POLICY: remote follows a gatehouse server',
    ],
  ])('refuses an issuer profile setting that cannot work (%#)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
