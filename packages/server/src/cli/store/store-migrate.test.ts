import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../../test/services/dynamodb-local.ts';
import { createTestDatabase, type TestDatabase } from '../../../../../test/services/postgres.ts';
import { startTestServer, type TestServer } from '../../testing/start-test-server.ts';
import { parseCliEnvironment } from '../config.ts';
import { describeFailure } from '../describe-failure.ts';
import { createProgram } from '../program.ts';

const ISSUER = 'http://127.0.0.1:4996/';
const KEK = randomBytes(32).toString('base64url');
const ADMIN = {
  GATEHOUSE_ADMIN_CLIENT_ID: 'migrate-admin',
  GATEHOUSE_ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
};

/** Runs `gatehouse <args>` in-process with `env` as the process environment. */
async function gatehouse(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const program = createProgram({
    writer: { out: (t) => out.push(t), err: (t) => err.push(t) },
    env: parseCliEnvironment(env),
    serverEnv: () => ({ ...env }),
  });
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    const { message, exitCode } = describeFailure(error);
    if (message) err.push(message);
    code = exitCode;
  }
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function oauth(server: TestServer, path: string, auth: string, form: Record<string, string>) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

describe('gatehouse store migrate', () => {
  let ddb: DynamoDbLocal;
  let pg: TestDatabase;
  let otherPg: TestDatabase;
  let sqliteDir: string;
  const servers: TestServer[] = [];
  // What the SQLite installation held before the first copy.
  let audience: string;
  let client: { id: string; secret: string };
  let issuedBefore: string;
  let revokedBefore: string;

  beforeAll(async () => {
    [ddb, pg, otherPg] = await Promise.all([
      startDynamoDbLocal(),
      createTestDatabase(),
      createTestDatabase(),
    ]);
    sqliteDir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
    const source = await startTestServer({
      dataDir: sqliteDir,
      env: { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_KEK: KEK, ...ADMIN },
    });
    try {
      const made = await source.createApiAndClient({ scopes: ['read:things'], grantScopes: ['read:things'] });
      audience = made.audience;
      client = { id: made.clientId, secret: made.clientSecret };
      issuedBefore = await source.getToken({ clientId: client.id, clientSecret: client.secret, audience });
      revokedBefore = await source.getToken({ clientId: client.id, clientSecret: client.secret, audience });
      const revoked = await oauth(source, '/oauth/revoke', basic(client.id, client.secret), {
        token: revokedBefore,
      });
      expect(revoked.status).toBe(200);
      // A few more clients, so every batch path runs.
      for (let i = 0; i < 5; i++) await source.createApiAndClient();
    } finally {
      await source.close();
    }
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => {});
    await Promise.all([ddb?.stop(), pg?.drop(), otherPg?.drop()]);
    if (sqliteDir) await rm(sqliteDir, { recursive: true, force: true });
  });

  /** A server on the migrated store answers for the installation as the source did. */
  async function expectSameInstallation(env: Record<string, string>) {
    const server = await startTestServer({
      env: { GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_KEK: KEK, ...ADMIN, ...env },
    });
    servers.push(server);
    // The token issued before the migration verifies with the target server's JWKS (same keys).
    const { payload } = await jwtVerify(
      issuedBefore,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      {
        issuer: ISSUER,
        audience,
        typ: 'at+jwt',
      },
    );
    expect(payload.client_id).toBe(client.id);
    // The hashed secret still authenticates; the grant is there.
    const fresh = await server.getToken({ clientId: client.id, clientSecret: client.secret, audience });
    expect(fresh).toMatch(/^eyJ/);
    // The deny-list came along: the revoked token stays revoked, the other is active.
    const auth = basic(client.id, client.secret);
    expect((await oauth(server, '/oauth/introspect', auth, { token: revokedBefore })).body?.active).toBe(
      false,
    );
    expect((await oauth(server, '/oauth/introspect', auth, { token: issuedBefore })).body?.active).toBe(true);
    // The audit log answers the events recorded before the move.
    const logs = (await (await server.management('GET', 'logs?per_page=100&sort=date:1')).json()) as {
      details?: { action?: string };
    }[];
    expect(logs.map((l) => l.details?.action)).toContain('client_grant.created');
    // A wrong secret still fails.
    expect(
      (
        await oauth(server, '/oauth/token', basic(client.id, 'wrong'), {
          grant_type: 'client_credentials',
          audience,
        })
      ).status,
    ).toBe(401);
    await server.close();
  }

  it('copies SQLite to PostgreSQL and then to DynamoDB Local, verified, with tokens from before still valid', async () => {
    const toPg = await gatehouse(
      [
        'store',
        'migrate',
        '--from',
        'sqlite',
        '--from-data-dir',
        sqliteDir,
        '--to',
        'postgres',
        '--to-database-url',
        pg.connectionString,
        '--json',
      ],
      { GATEHOUSE_KEK: KEK },
    );
    expect(toPg.stderr).toContain('verified');
    expect(toPg.code).toBe(0);
    const report = JSON.parse(toPg.stdout);
    expect(report).toMatchObject({
      verified: true,
      erased_target: false,
      from: { store: 'sqlite' },
      to: { store: 'postgres' },
    });
    expect(report.copied.client).toBe(7); // admin + 6
    expect(report.copied.revokedToken).toBe(1);
    expect(report.copied.signingKey).toBeGreaterThanOrEqual(2); // current + next
    expect(report.revocation_sequence).toBeGreaterThanOrEqual(1);
    // The audit log of the changes made on SQLite came along.
    expect(report.audit_events).toBeGreaterThanOrEqual(18);
    await expectSameInstallation({
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: pg.connectionString,
    });

    const table = 'gatehouse_migrated';
    const init = await gatehouse([
      'store',
      'init',
      '--store',
      'dynamodb',
      '--dynamodb-table',
      table,
      '--dynamodb-endpoint',
      ddb.endpoint,
    ]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('created');
    const toDdb = await gatehouse(
      [
        'store',
        'migrate',
        '--from',
        'postgres',
        '--to',
        'dynamodb',
        '--to-dynamodb-table',
        table,
        '--to-dynamodb-endpoint',
        ddb.endpoint,
      ],
      // Each side falls back to the server's variables.
      { GATEHOUSE_KEK: KEK, GATEHOUSE_DATABASE_URL: pg.connectionString },
    );
    expect(toDdb.stderr).toContain('verified');
    expect(toDdb.code).toBe(0);
    expect(toDdb.stdout).toMatch(/Copied and verified: PostgreSQL .* -> DynamoDB table gatehouse_migrated/);
    await expectSameInstallation({
      GATEHOUSE_STORE: 'dynamodb',
      GATEHOUSE_DYNAMODB_TABLE: table,
      GATEHOUSE_DYNAMODB_ENDPOINT: ddb.endpoint,
    });
  }, 240_000);

  it('refuses a key-encryption key that cannot open the source keys, and writes nothing', async () => {
    const run = await gatehouse(
      [
        'store',
        'migrate',
        '--from',
        'sqlite',
        '--from-data-dir',
        sqliteDir,
        '--to',
        'postgres',
        '--to-database-url',
        otherPg.connectionString,
      ],
      { GATEHOUSE_KEK: randomBytes(32).toString('base64url') },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot open signing key .* sealed under another KEK.*Nothing was copied/);
    const tables = await otherPg.admin('SELECT 1 FROM pg_database WHERE datname = $1', [otherPg.name]);
    expect(tables).toHaveLength(1);
    // The target got its schema, and no record.
    const { Client } = await import('pg');
    const c = new Client({ connectionString: otherPg.connectionString });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM clients')).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  }, 60_000);

  it('refuses a target that is not empty unless --force, then replaces its content', async () => {
    const args = [
      'store',
      'migrate',
      '--from',
      'sqlite',
      '--from-data-dir',
      sqliteDir,
      '--to',
      'postgres',
      '--to-database-url',
      pg.connectionString,
    ];
    const refused = await gatehouse(args, { GATEHOUSE_KEK: KEK });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the target store is not empty .*clients.*Pass --force/);
    const forced = await gatehouse([...args, '--force', '--json'], { GATEHOUSE_KEK: KEK });
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ erased_target: true, verified: true });
  }, 60_000);

  it('reads the KEK from the SQLite data directory when GATEHOUSE_KEK is unset, and refuses a missing one', async () => {
    const missing = await gatehouse([
      'store',
      'migrate',
      '--from',
      'sqlite',
      '--from-data-dir',
      sqliteDir,
      '--to',
      'postgres',
      '--to-database-url',
      otherPg.connectionString,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no key-encryption key: GATEHOUSE_KEK is unset and .*kek does not exist/);
  });

  it('refuses bad command lines with a usage error', async () => {
    const same = await gatehouse([
      'store',
      'migrate',
      '--from',
      'sqlite',
      '--to',
      'sqlite',
      '--from-data-dir',
      sqliteDir,
      '--to-data-dir',
      sqliteDir,
    ]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the source and the target are the same store/);
    const badUrl = await gatehouse([
      'store',
      'migrate',
      '--from',
      'sqlite',
      '--to',
      'postgres',
      '--to-database-url',
      'mysql://x/y',
    ]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--to-database-url: must be a postgres:// or postgresql:// URL');
    expect((await gatehouse(['store', 'migrate', '--from', 'oracle', '--to', 'sqlite'])).code).toBe(2);
    expect((await gatehouse(['store', 'migrate', '--to', 'sqlite'])).code).toBe(2);
    const noTable = await gatehouse(
      [
        'store',
        'migrate',
        '--from',
        'sqlite',
        '--from-data-dir',
        sqliteDir,
        '--to',
        'dynamodb',
        '--to-dynamodb-table',
        'absent',
        '--to-dynamodb-endpoint',
        ddb.endpoint,
      ],
      { GATEHOUSE_KEK: KEK },
    );
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain('create it with `gatehouse store init`');
  });
});

describe('gatehouse store init', () => {
  it('creates a DynamoDB table once and finds it ready the second time, as JSON', async () => {
    const ddb = await startDynamoDbLocal();
    try {
      const args = ['store', 'init', '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint, '--json'];
      const first = await gatehouse(args, { GATEHOUSE_DYNAMODB_TABLE: 'from_env' });
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual({
        store: 'dynamodb',
        location: `DynamoDB table from_env at ${ddb.endpoint}`,
        outcome: 'created',
      });
      expect(first.stderr).toMatch(/created with key \(PK, SK\), indexes GSI1 and GSI2, TTL on expiresAt/);
      const again = await gatehouse(args, { GATEHOUSE_DYNAMODB_TABLE: 'from_env' });
      expect(JSON.parse(again.stdout).outcome).toBe('exists');
    } finally {
      await ddb.stop();
    }
  }, 120_000);

  it('applies PostgreSQL migrations idempotently and never prints the password', async () => {
    const db = await createTestDatabase();
    try {
      const url = new URL(db.connectionString);
      url.password = 'not-needed-with-trust';
      const first = await gatehouse([
        'store',
        'init',
        '--store',
        'postgres',
        '--database-url',
        url.toString(),
      ]);
      expect(first.code).toBe(0);
      expect(`${first.stdout}${first.stderr}`).not.toContain('not-needed-with-trust');
      expect(first.stdout).toContain('***');
      expect(
        (
          await gatehouse(['store', 'init'], {
            GATEHOUSE_STORE: 'postgres',
            GATEHOUSE_DATABASE_URL: db.connectionString,
          })
        ).code,
      ).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('names the unreachable store in one line', async () => {
    const run = await gatehouse([
      'store',
      'init',
      '--store',
      'postgres',
      '--database-url',
      'postgres://gatehouse@127.0.0.1:1/none',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: PostgreSQL postgres:\/\/gatehouse@127\.0\.0\.1:1\/none: .*ECONNREFUSED/m,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
