import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const SECRET = 'x'.repeat(32);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      issuer: 'http://localhost:4000/',
      issuerExplicit: false,
      port: 4000,
      host: '127.0.0.1',
      dataDir: path.resolve('.gatehouse'),
      store: 'sqlite',
      databaseUrl: undefined,
      dynamodbTable: 'gatehouse',
      dynamodbEndpoint: undefined,
      admin: undefined,
      kek: undefined,
      logLevel: 'info',
      defaultAudience: undefined,
      syncSeconds: 10,
      signing: { kind: 'local' },
      kmsKek: undefined,
      keyRotationDays: 0,
      console: { idleSeconds: 900, sessionSeconds: 28_800 },
      auditRetentionDays: 90,
      limits: {
        lockout: {
          address: { maxFailures: 20, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
          pair: { maxFailures: 5, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
          client: { maxFailures: 100, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 3_600_000 },
        },
        ratePerClient: undefined,
        ratePerAddress: undefined,
        trustProxyHops: 0,
        corsOrigins: [],
        maxConcurrentRequests: 256,
        requestTimeoutMs: 30_000,
        headersTimeoutMs: 10_000,
        maxHeaderBytes: 16_384,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      GATEHOUSE_ISSUER: 'https://auth.example.com/',
      GATEHOUSE_PORT: '8080',
      GATEHOUSE_HOST: '0.0.0.0',
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      GATEHOUSE_DATABASE_URL: 'postgres://u@localhost/db',
      GATEHOUSE_DYNAMODB_TABLE: 'gh-table',
      GATEHOUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      GATEHOUSE_ADMIN_CLIENT_ID: 'admin',
      GATEHOUSE_ADMIN_CLIENT_SECRET: SECRET,
      GATEHOUSE_KEK: 'A'.repeat(43),
      GATEHOUSE_LOG_LEVEL: 'debug',
      GATEHOUSE_DEFAULT_AUDIENCE: 'https://api.example.com/',
      GATEHOUSE_SYNC_SECONDS: '30',
      GATEHOUSE_KEY_ROTATION_DAYS: '0.5',
      GATEHOUSE_AUDIT_RETENTION_DAYS: '365',
    });
    expect(config).toMatchObject({
      issuer: 'https://auth.example.com/',
      issuerExplicit: true,
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/gatehouse',
      databaseUrl: 'postgres://u@localhost/db',
      dynamodbTable: 'gh-table',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      admin: { clientId: 'admin', clientSecret: SECRET },
      kek: 'A'.repeat(43),
      logLevel: 'debug',
      defaultAudience: 'https://api.example.com/',
      syncSeconds: 30,
      keyRotationDays: 0.5,
      auditRetentionDays: 365,
    });
  });

  it('derives the default issuer from the port and treats empty values as unset', () => {
    expect(loadConfig({ GATEHOUSE_PORT: '5000', GATEHOUSE_ISSUER: '' }).issuer).toBe(
      'http://localhost:5000/',
    );
  });

  it('names the variable in every error', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ GATEHOUSE_ISSUER: 'auth.example.com' }, 'GATEHOUSE_ISSUER', /absolute/],
      [{ GATEHOUSE_ISSUER: 'https://auth.example.com' }, 'GATEHOUSE_ISSUER', /end with "\/"/],
      [{ GATEHOUSE_ISSUER: 'ftp://auth.example.com/' }, 'GATEHOUSE_ISSUER', /http/],
      [{ GATEHOUSE_ISSUER: 'https://auth.example.com/?a=1/' }, 'GATEHOUSE_ISSUER', /query/],
      [{ GATEHOUSE_PORT: 'eighty' }, 'GATEHOUSE_PORT', /whole number/],
      [{ GATEHOUSE_PORT: '70000' }, 'GATEHOUSE_PORT', /65535/],
      [{ GATEHOUSE_HOST: 'bad host' }, 'GATEHOUSE_HOST', /host/],
      [{ GATEHOUSE_STORE: 'mysql' }, 'GATEHOUSE_STORE', /sqlite, postgres, dynamodb/],
      [{ GATEHOUSE_DATABASE_URL: 'not a url' }, 'GATEHOUSE_DATABASE_URL', /URL/],
      [{ GATEHOUSE_DYNAMODB_TABLE: 'a' }, 'GATEHOUSE_DYNAMODB_TABLE', /3 to 255/],
      [{ GATEHOUSE_DYNAMODB_ENDPOINT: 'nope' }, 'GATEHOUSE_DYNAMODB_ENDPOINT', /URL/],
      [{ GATEHOUSE_ADMIN_CLIENT_ID: 'admin' }, 'GATEHOUSE_ADMIN_CLIENT_SECRET', /together/],
      [{ GATEHOUSE_ADMIN_CLIENT_SECRET: SECRET }, 'GATEHOUSE_ADMIN_CLIENT_ID', /together/],
      [
        { GATEHOUSE_ADMIN_CLIENT_ID: 'ad min', GATEHOUSE_ADMIN_CLIENT_SECRET: SECRET },
        'GATEHOUSE_ADMIN_CLIENT_ID',
        /characters/,
      ],
      [
        { GATEHOUSE_ADMIN_CLIENT_ID: 'admin', GATEHOUSE_ADMIN_CLIENT_SECRET: 'short' },
        'GATEHOUSE_ADMIN_CLIENT_SECRET',
        /32/,
      ],
      [{ GATEHOUSE_KEK: 'too-short' }, 'GATEHOUSE_KEK', /32 random bytes/],
      [{ GATEHOUSE_LOG_LEVEL: 'loud' }, 'GATEHOUSE_LOG_LEVEL', /info/],
      [{ GATEHOUSE_DEFAULT_AUDIENCE: 'has space' }, 'GATEHOUSE_DEFAULT_AUDIENCE', /spaces/],
      [{ GATEHOUSE_SYNC_SECONDS: '0' }, 'GATEHOUSE_SYNC_SECONDS', /1 to 3600/],
      [{ GATEHOUSE_SYNC_SECONDS: 'often' }, 'GATEHOUSE_SYNC_SECONDS', /1 to 3600/],
      [{ GATEHOUSE_KEY_ROTATION_DAYS: '-1' }, 'GATEHOUSE_KEY_ROTATION_DAYS', /number of days/],
      [{ GATEHOUSE_KEY_ROTATION_DAYS: '9999' }, 'GATEHOUSE_KEY_ROTATION_DAYS', /3650/],
      [{ GATEHOUSE_AUDIT_RETENTION_DAYS: '0' }, 'GATEHOUSE_AUDIT_RETENTION_DAYS', /from 1 to 3650/],
      [{ GATEHOUSE_AUDIT_RETENTION_DAYS: '1.5' }, 'GATEHOUSE_AUDIT_RETENTION_DAYS', /whole number of days/],
    ];
    for (const [env, variable, message] of cases) {
      const err = configError(env);
      expect(err.variable, JSON.stringify(env)).toBe(variable);
      expect(err.message.startsWith(`${variable}: `), err.message).toBe(true);
      expect(err.message, JSON.stringify(env)).toMatch(message);
    }
  });

  it('requires a PostgreSQL URL with the postgres store and refuses any other URL', () => {
    const missing = configError({ GATEHOUSE_STORE: 'postgres' });
    expect(missing.variable).toBe('GATEHOUSE_DATABASE_URL');
    expect(missing.message).toMatch(/required with GATEHOUSE_STORE=postgres/);
    const wrong = configError({
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: 'mysql://x@127.0.0.1/db',
    });
    expect(wrong.variable).toBe('GATEHOUSE_DATABASE_URL');
    expect(wrong.message).toMatch(/postgres:\/\//);
  });

  it('accepts the postgres and dynamodb stores with their settings', () => {
    const pg = loadConfig({
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:5432/gh',
    });
    expect(pg.store).toBe('postgres');
    expect(pg.databaseUrl).toBe('postgres://gatehouse@127.0.0.1:5432/gh');
    const ddb = loadConfig({
      GATEHOUSE_STORE: 'dynamodb',
      GATEHOUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });
    expect(ddb.store).toBe('dynamodb');
    expect(ddb.dynamodbTable).toBe('gatehouse');
    expect(ddb.dynamodbEndpoint).toBe('http://127.0.0.1:8000');
  });

  it('never echoes a secret in an error', () => {
    const err = configError({
      GATEHOUSE_ADMIN_CLIENT_ID: 'admin',
      GATEHOUSE_ADMIN_CLIENT_SECRET: 'sekrit-value',
    });
    expect(err.message).not.toContain('sekrit-value');
    const kek = configError({ GATEHOUSE_KEK: 'kek-value-that-is-wrong' });
    expect(kek.message).not.toContain('kek-value-that-is-wrong');
  });
});
