/**
 * Lockout after failed client authentication, over real HTTP from distinct loopback source
 * addresses (127.0.0.x all reach a server on 127.0.0.1 on Linux): a guessing attacker is locked
 * out while the real client, from its own address, keeps getting tokens; instances that share a
 * store (one SQLite file; one PostgreSQL database) share the counters.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiAndClient, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../services/postgres.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

/** POSTs a form from `localAddress`. */
function post(url: string, form: Record<string, string>, localAddress: string): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text === '' ? {} : JSON.parse(text),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const tokenForm = (c: ApiAndClient, secret = c.clientSecret) => ({
  grant_type: 'client_credentials',
  client_id: c.clientId,
  client_secret: secret,
  audience: c.audience,
});
const wrong = () => randomBytes(32).toString('base64url');

const REAL = '127.0.0.1';

/** The production defaults of the lockout (startTestServer turns it off for other suites). */
const LOCKOUT_DEFAULTS = {
  GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '20',
  GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '5',
  GATEHOUSE_LOCKOUT_CLIENT_FAILURES: '100',
};

describe('lockout on one server', () => {
  let server: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    server = await startTestServer({ env: LOCKOUT_DEFAULTS });
    client = await server.createApiAndClient();
  });
  afterAll(() => server.close());

  it('locks a guessing address out while the real client still gets tokens from its own address', async () => {
    const attacker = '127.0.0.2';
    for (let i = 0; i < 5; i++) {
      const res = await post(`${server.url}/oauth/token`, tokenForm(client, wrong()), attacker);
      expect(res.status).toBe(401);
      expect(res.json.error).toBe('invalid_client');
    }
    const locked = await post(`${server.url}/oauth/token`, tokenForm(client, wrong()), attacker);
    expect(locked.status).toBe(429);
    expect(locked.json).toEqual({ error: 'too_many_attempts', error_description: expect.any(String) });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.headers['cache-control']).toBe('no-store');

    // Even the right secret is refused from the locked-out address: guessing right gains nothing.
    const rightButLocked = await post(`${server.url}/oauth/token`, tokenForm(client), attacker);
    expect(rightButLocked.status).toBe(429);

    for (let i = 0; i < 3; i++) {
      const ok = await post(`${server.url}/oauth/token`, tokenForm(client), REAL);
      expect(ok.status).toBe(200);
      expect(typeof ok.json.access_token).toBe('string');
    }
    expect(server.logs.some((l) => l.includes('"event":"auth.lockout"') && l.includes(attacker))).toBe(true);
  });

  it('locks out an address guessing many clients on every endpoint that authenticates clients', async () => {
    const attacker = '127.0.0.3';
    for (let i = 0; i < 20; i++) {
      const res = await post(
        `${server.url}/oauth/introspect`,
        { client_id: `nobody-${i}`, client_secret: wrong(), token: 'x' },
        attacker,
      );
      expect(res.status).toBe(401);
    }
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
      const res = await post(`${server.url}${path}`, { ...tokenForm(client), token: 'x' }, attacker);
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
    }
    const real = await post(`${server.url}/oauth/introspect`, { ...tokenForm(client), token: 'x' }, REAL);
    expect(real.status).toBe(200);
  });
});

/** Runs the shared-counter scenario against two running instances. */
async function expectSharedCounters(a: TestServer, b: TestServer, client: ApiAndClient, attacker: string) {
  for (let i = 0; i < 5; i++) {
    expect((await post(`${a.url}/oauth/token`, tokenForm(client, wrong()), attacker)).status).toBe(401);
  }
  // B has seen nothing from this address, yet its first failure finds the lock A set.
  const onB = await post(`${b.url}/oauth/token`, tokenForm(client, wrong()), attacker);
  expect(onB.status).toBe(429);
  expect((await post(`${b.url}/oauth/token`, tokenForm(client), attacker)).status).toBe(429);
  expect((await post(`${b.url}/oauth/token`, tokenForm(client), REAL)).status).toBe(200);
  expect((await post(`${a.url}/oauth/token`, tokenForm(client), REAL)).status).toBe(200);
}

describe('lockout shared through one SQLite file', () => {
  let dataDir: string;
  let a: TestServer;
  let b: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-lockout-'));
    a = await startTestServer({ dataDir, env: { ...LOCKOUT_DEFAULTS, GATEHOUSE_SYNC_SECONDS: '1' } });
    b = await startTestServer({ dataDir, env: { ...LOCKOUT_DEFAULTS, GATEHOUSE_SYNC_SECONDS: '1' } });
    client = await a.createApiAndClient();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shares failure counters between two instances on the same file', async () => {
    await expectSharedCounters(a, b, client, '127.0.0.4');
  });

  it('refuses a locked-out address on the other instance within a sync interval, before any failure there', async () => {
    const attacker = '127.0.0.5';
    for (let i = 0; i < 5; i++) await post(`${a.url}/oauth/token`, tokenForm(client, wrong()), attacker);
    await expect
      .poll(async () => (await post(`${b.url}/oauth/token`, tokenForm(client), attacker)).status, {
        timeout: 10_000,
      })
      .toBe(429);
  });
});

describe('lockout shared through one PostgreSQL database', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      ...LOCKOUT_DEFAULTS,
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: db.connectionString,
      GATEHOUSE_KEK: randomBytes(32).toString('base64url'),
    };
    a = await startTestServer({ env });
    b = await startTestServer({ env });
    client = await a.createApiAndClient();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('shares failure counters between two instances on the same database', async () => {
    await expectSharedCounters(a, b, client, '127.0.0.6');
  });
});
