/**
 * Crash durability: the real `gatehouse serve` and `gatehouse-contacts` processes, each on its
 * SQLite file, take administrative writes and token (or contact) requests and are killed with
 * SIGKILL at a random point, 20 times each. After every kill the file passes SQLite's integrity
 * and foreign-key checks, and the restarted process still holds every write it had acknowledged
 * (a rotated secret authenticates, a deleted client stays deleted, a created contact is there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  assertSpawnedOutputClean,
  startTestServer,
  type TestServer,
  watchSpawnedProcess,
} from '@gatehouse/server/testing';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../services/free-port.ts';
import {
  childEnvironment,
  createFleetSettings,
  type Instance,
  management,
  requestToken,
  startInstance,
} from './multi-instance-fleet.ts';

const KILLS = 20;
/** Kill delays in ms after the load starts: random, but reproducible. */
const delays = fc.sample(fc.integer({ min: 20, max: 700 }), { numRuns: KILLS, seed: 11 });

function assertFileClean(file: string): void {
  const db = new Database(file);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gatehouse serve killed with SIGKILL mid-write', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-crash-'));
  });
  afterAll(async () => {
    try {
      // Every instance's output and the SQLite file, for every secret and token the rounds obtained.
      await assertSpawnedOutputClean();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it(`keeps every acknowledged write and a clean file across ${KILLS} kills`, async () => {
    const settings = createFleetSettings({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' });
    const mgmtAudience = `${settings.issuer}api/v2/`;
    const admin = { id: settings.admin.clientId, secret: settings.admin.clientSecret };
    /**
     * client id -> what the store may hold: the acknowledged secret (null: deleted), plus any
     * change sent after it whose answer the kill cut off (it may or may not have committed).
     * Each writer touches only the clients it created, so its acknowledgements follow commit order.
     */
    const states = new Map<string, Set<string | null>>();

    const verify = async (instance: Instance, token: string) => {
      for (const [clientId, possible] of states) {
        const res = await management(instance.url, token, 'GET', `clients/${clientId}`);
        if (res.status === 404) {
          expect(possible.has(null), `${clientId} is gone but its delete was never sent`).toBe(true);
          continue;
        }
        expect(res.status, clientId).toBe(200);
        if (possible.has('unseen')) continue;
        let authenticated = false;
        for (const secret of possible) {
          if (secret === null) continue;
          const got = await requestToken(instance.url, { id: clientId, secret }, { audience: mgmtAudience });
          // No grant: authentication passes (403 access_denied) instead of being refused (401).
          if (got.status === 403) authenticated = true;
        }
        expect(authenticated, `${clientId} authenticates with an acknowledged (or later) secret`).toBe(true);
      }
    };

    for (let round = 0; round <= KILLS; round++) {
      const instance = await startInstance(`crash-${round}`, settings);
      const got = await requestToken(instance.url, admin, { audience: mgmtAudience });
      expect(got.status).toBe(200);
      const token = got.body.access_token as string;
      await verify(instance, token);
      if (round === KILLS) {
        await instance.stop();
        break;
      }
      let killed = false;
      const writer = async (w: number) => {
        const mine: string[] = [];
        for (let i = 0; !killed; i++) {
          const live = mine.filter((id) => !states.get(id)?.has(null));
          const pick = live[i % Math.max(1, live.length)];
          try {
            if (i % 3 === 1 && pick !== undefined) {
              const res = await management(instance.url, token, 'POST', `clients/${pick}/rotate-secret`, {});
              if (res.status === 200)
                states.set(pick, new Set([(res.body as { client_secret: string }).client_secret]));
            } else if (i % 7 === 6 && pick !== undefined) {
              states.get(pick)!.add(null);
              const res = await management(instance.url, token, 'DELETE', `clients/${pick}`);
              if (res.status === 204) states.set(pick, new Set([null]));
            } else {
              const res = await management(instance.url, token, 'POST', 'clients', {
                name: `crash ${round}.${w}.${i}`,
              });
              if (res.status === 201) {
                const body = res.body as { client_id: string; client_secret: string };
                states.set(body.client_id, new Set([body.client_secret]));
                mine.push(body.client_id);
              }
            }
          } catch {
            // Cut by the kill: never acknowledged. A rotation then may have committed a secret
            // nobody saw; such a client is only checked for existence below.
            if (i % 3 === 1 && pick !== undefined) states.get(pick)!.add('unseen');
          }
        }
      };
      const tokens = async () => {
        while (!killed) await requestToken(instance.url, admin, { audience: mgmtAudience }).catch(() => {});
      };
      const killer = async () => {
        await sleep(delays[round]!);
        instance.child.kill('SIGKILL');
        await instance.exited;
        killed = true;
      };
      await Promise.all([killer(), writer(0), writer(1), tokens()]);
      await instance.stop();
      assertFileClean(join(dataDir, 'gatehouse.db'));
    }
    expect(states.size).toBeGreaterThan(KILLS);
  }, 600_000);
});

/** The real contacts bin. */
const CONTACTS_BIN = resolve(import.meta.dirname, '../../services/contacts/bin/gatehouse-contacts.mjs');

async function startContacts(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; exited: Promise<unknown> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CONTACTS_BIN], {
    env: childEnvironment({ ...env, CONTACTS_PORT: String(port), CONTACTS_HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  watchSpawnedProcess('gatehouse-contacts', child);
  const exited = new Promise((done) => child.on('exit', done));
  let out = '';
  await new Promise<void>((ready, reject) => {
    const timer = setTimeout(() => reject(new Error(`contacts did not start: ${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('contacts service listening')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`contacts exited before listening: ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, exited };
}

describe('gatehouse-contacts killed with SIGKILL mid-write', () => {
  let server: TestServer;
  let dataDir: string;
  const audience = `https://contacts.crash.test/${randomBytes(3).toString('hex')}/`;
  beforeAll(async () => {
    server = await startTestServer();
    dataDir = await mkdtemp(join(tmpdir(), 'contacts-crash-'));
  });
  afterAll(async () => {
    try {
      await server?.close();
      await assertSpawnedOutputClean();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it(`keeps every acknowledged contact and a clean file across ${KILLS} kills`, async () => {
    const client = await server.createApiAndClient({
      identifier: audience,
      scopes: ['read:contacts', 'write:contacts'],
    });
    const token = await server.getToken(client);
    const env = {
      GATEHOUSE_ISSUER: server.issuer,
      CONTACTS_AUDIENCE: audience,
      CONTACTS_DATA_DIR: dataDir,
      CONTACTS_LOG_LEVEL: 'info',
    };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    /** contact id -> names the store may hold (null: deleted): the acknowledged one and any cut off after it. */
    const states = new Map<string, Set<string | null>>();

    for (let round = 0; round <= KILLS; round++) {
      const contacts = await startContacts(env);
      for (const [id, possible] of states) {
        const res = await fetch(`${contacts.url}/contacts/${id}`, { headers: auth });
        if (res.status === 404) {
          expect(possible.has(null), `${id} is gone but its delete was never sent`).toBe(true);
          continue;
        }
        expect(res.status, id).toBe(200);
        const { name } = (await res.json()) as { name: string };
        expect(possible.has(name), `${id} holds "${name}"`).toBe(true);
        states.set(id, new Set([name]));
      }
      if (round === KILLS) {
        contacts.child.kill('SIGTERM');
        await contacts.exited;
        break;
      }
      let killed = false;
      const writer = async (w: number) => {
        const mine: string[] = [];
        for (let i = 0; !killed; i++) {
          const live = mine.filter((id) => !states.get(id)?.has(null));
          const pick = live[i % Math.max(1, live.length)];
          try {
            if (i % 4 === 3 && pick !== undefined) {
              const name = `renamed ${round}.${w}.${i}`;
              states.get(pick)!.add(name);
              const res = await fetch(`${contacts.url}/contacts/${pick}`, {
                method: 'PUT',
                headers: auth,
                body: JSON.stringify({ name }),
              });
              if (res.status === 200) states.set(pick, new Set([name]));
            } else if (i % 9 === 8 && pick !== undefined) {
              states.get(pick)!.add(null);
              const res = await fetch(`${contacts.url}/contacts/${pick}`, {
                method: 'DELETE',
                headers: auth,
              });
              if (res.status === 204) states.set(pick, new Set([null]));
            } else {
              const name = `crash ${round}.${w}.${i}`;
              const res = await fetch(`${contacts.url}/contacts`, {
                method: 'POST',
                headers: auth,
                body: JSON.stringify({ name }),
              });
              if (res.status === 201) {
                const id = ((await res.json()) as { id: string }).id;
                states.set(id, new Set([name]));
                mine.push(id);
              }
            }
          } catch {
            // Cut by the kill: never acknowledged (its possible outcome is already recorded).
          }
        }
      };
      const killer = async () => {
        await sleep(delays[round]!);
        contacts.child.kill('SIGKILL');
        await contacts.exited;
        killed = true;
      };
      await Promise.all([killer(), writer(0), writer(1)]);
      assertFileClean(join(dataDir, 'contacts.db'));
    }
    expect(states.size).toBeGreaterThan(KILLS);
  }, 600_000);
});
