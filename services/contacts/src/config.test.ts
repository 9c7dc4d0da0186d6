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
});
