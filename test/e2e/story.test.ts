/**
 * The original story end to end, over real HTTP between separate processes: `gatehouse serve`
 * (the authorization server) and `gatehouse-contacts` (the contacts service), once with the
 * contacts on SQLite and once on DynamoDB Local (table made by `gatehouse-contacts table create`).
 * Clients use the token client, as the Read Service and Write Service examples do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createTokenClient, type TokenClient } from '@gatehouse/client';
import { type ContactsStory, provisionContactsStory } from '@gatehouse/contacts/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSpawnedOutputClean,
  fetchRecordingSecrets,
  recordSecret,
  watchSpawnedProcess,
} from '../../packages/server/src/testing/secret-scan-spawned.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../services/dynamodb-local.ts';
import { freePort } from '../services/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GATEHOUSE_BIN = join(ROOT, 'packages/server/bin/gatehouse.mjs');
const CONTACTS_BIN = join(ROOT, 'services/contacts/bin/gatehouse-contacts.mjs');
const ADMIN = { clientId: 'e2e-admin', clientSecret: 'e2e-admin-secret-0123456789-abcdefghijklmnopqrstuv' };
const AUDIENCE = 'https://contacts.gatehouse.local/';
/** The contacts service runs the authorizer with its default clock tolerance. */
const CLOCK_TOLERANCE_SECONDS = 5;

interface Proc {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

const tempDirs: string[] = [];
const procs: Proc[] = [];
let issuer: string;
let ddb: DynamoDbLocal;

beforeAll(async () => {
  recordSecret('bootstrap admin secret', ADMIN.clientSecret);
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/`;
  const dataDir = temp('gh-e2e-');
  await start(
    GATEHOUSE_BIN,
    ['serve'],
    {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_CLIENT_ID: ADMIN.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN.clientSecret,
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
    `${issuer}healthz`,
  );
  ddb = await startDynamoDbLocal();
});

afterAll(async () => {
  for (const p of procs.splice(0).reverse()) await p.stop();
  // Every process's output and the server's store, for every secret and token the story obtained.
  try {
    await assertSpawnedOutputClean();
  } finally {
    await ddb?.stop();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
});

describe.each(['sqlite', 'dynamodb'] as const)('the story with the contacts service on %s', (store) => {
  let contactsUrl: string;
  let story: ContactsStory;
  const clients: TokenClient[] = [];
  let expiringToken: string;

  beforeAll(async () => {
    // Each run gets its own contacts API on the server, so the two runs do not share grants.
    const audience = `${AUDIENCE}${store}/`;
    story = await provisionContactsStory(management, audience);
    const port = await freePort();
    const env: Record<string, string> = {
      CONTACTS_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      CONTACTS_AUDIENCE: audience,
      CONTACTS_STORE: store,
      CONTACTS_LOG_LEVEL: 'warn',
    };
    if (store === 'sqlite') env.CONTACTS_DATA_DIR = temp('contacts-e2e-');
    else {
      env.CONTACTS_DYNAMODB_ENDPOINT = ddb.endpoint;
      env.CONTACTS_TABLE = 'contacts-e2e';
      const created = await run(CONTACTS_BIN, ['table', 'create'], env);
      expect(created).toMatch(/Created DynamoDB table contacts-e2e/);
      expect(await run(CONTACTS_BIN, ['table', 'create'], env)).toMatch(/already exists/);
    }
    contactsUrl = `http://127.0.0.1:${port}`;
    await start(CONTACTS_BIN, ['serve'], env, `${contactsUrl}/healthz`);
    // Got first: its one-second lifetime runs out while the other steps run.
    expiringToken = await tokenClient(story.expiring).getToken();
  });

  afterAll(() => {
    for (const c of clients.splice(0)) c.close();
  });

  function tokenClient(c: { clientId: string; clientSecret: string }): TokenClient {
    const client = createTokenClient({
      issuer,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      audience: story.audience,
      fetch: fetchRecordingSecrets,
    });
    clients.push(client);
    return client;
  }

  const post = (client: TokenClient, name: string) =>
    client.fetch(`${contactsUrl}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });

  it('gets tokens for the Read Service and the Write Service', async () => {
    const read = decodeJwt(await tokenClient(story.read).getToken());
    const write = decodeJwt(await tokenClient(story.write).getToken());
    expect(read).toMatchObject({ iss: issuer, aud: story.audience, scope: 'read:contacts' });
    expect(write).toMatchObject({ iss: issuer, aud: story.audience, scope: 'read:contacts write:contacts' });
  });

  it('refuses a POST with the Read token: 403 insufficient_scope', async () => {
    const res = await post(tokenClient(story.read), 'Not allowed');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('creates three contacts with the Write token: 201 each', async () => {
    const write = tokenClient(story.write);
    for (const name of ['Ada Lovelace', 'Grace Hopper', 'Margaret Hamilton']) {
      const res = await post(write, name);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toMatch(/^\/contacts\/[0-9a-f-]{36}$/);
    }
  });

  it('lists them with the Read token', async () => {
    const res = await tokenClient(story.read).fetch(`${contactsUrl}/contacts`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: Array<{ name: string }> };
    expect(items.map((c) => c.name).sort()).toEqual(['Ada Lovelace', 'Grace Hopper', 'Margaret Hamilton']);
  });

  it('runs the Write Service and Read Service examples against the stack', async () => {
    const common = { GATEHOUSE_ISSUER: issuer, CONTACTS_URL: contactsUrl, CONTACTS_AUDIENCE: story.audience };
    const wrote = await run(join(ROOT, 'examples/write-service/main.ts'), ['Katherine Johnson'], {
      ...common,
      CLIENT_ID: story.write.clientId,
      CLIENT_SECRET: story.write.clientSecret,
    });
    expect(wrote).toMatch(/created "Katherine Johnson"/);
    expect(wrote).toMatch(/ticked it \(ETag now "2"\)/);
    const read = await run(join(ROOT, 'examples/read-service/main.ts'), [], {
      ...common,
      CLIENT_ID: story.read.clientId,
      CLIENT_SECRET: story.read.clientSecret,
    });
    expect(read).toMatch(/\[x\] Katherine Johnson/);
    expect(read).toMatch(/tried to create a contact: 403 .*insufficient_scope/);
  });

  it('refuses an expired token: 401 invalid_token', async () => {
    const { exp } = decodeJwt(expiringToken);
    const wait = (exp! + CLOCK_TOLERANCE_SECONDS) * 1000 + 500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const res = await fetch(`${contactsUrl}/contacts`, {
      headers: { authorization: `Bearer ${expiringToken}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});

async function management(method: string, path: string, body?: unknown): Promise<Response> {
  const tokenRes = await fetchRecordingSecrets(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: `${issuer}api/v2/`,
    }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  return fetchRecordingSecrets(`${issuer}api/v2/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Only what the bins need: no inherited GATEHOUSE_* / CONTACTS_* from the test runner. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...extra };
}

/** Runs a bin to completion and returns its stdout; rejects with its stderr on a non-zero exit. */
function run(bin: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const loader = bin.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...loader, bin, ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watchSpawnedProcess(`${basename(bin)} ${args.join(' ')}`, child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${bin} exited ${code}: ${err}`)),
    );
  });
}

/** Starts a long-running bin and waits until `readyUrl` answers 200. */
async function start(
  bin: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
): Promise<Proc> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  watchSpawnedProcess(
    `${basename(bin)} ${args.join(' ')}`,
    child,
    bin === GATEHOUSE_BIN ? { gatehouseEnv: env } : {},
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const proc: Proc = {
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
  procs.push(proc);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${bin} exited ${child.exitCode} before it was ready:\n${output}`);
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return proc;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${bin} not ready at ${readyUrl} within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
