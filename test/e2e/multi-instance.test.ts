/**
 * Several servers, one state (issue 7): two real `gatehouse serve` processes on different ports
 * share one PostgreSQL database, and separately one DynamoDB Local table. Tokens and every
 * administrative change cross between them; scheduled key rotation happens once for the fleet; and
 * an instance killed with SIGKILL under load loses no acknowledged write while the other keeps
 * answering. Load is loopback only and bounded by count and time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbStore } from '../../packages/server/src/store/dynamodb-store.ts';
import { dynamoDbConnection } from '../../packages/server/src/store/open-store.ts';
import { createPostgresStore } from '../../packages/server/src/store/postgres-store.ts';
import type { Store } from '../../packages/server/src/store/store.ts';
import { assertSpawnedOutputClean } from '../../packages/server/src/testing/secret-scan-spawned.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../services/dynamodb-local.ts';
import { createTestDatabase, type TestDatabase } from '../services/postgres.ts';
import {
  basicAuth,
  createFleetSettings,
  type FleetSettings,
  type Instance,
  management,
  requestToken,
  runGatehouse,
  startInstance,
} from './multi-instance-fleet.ts';

/** GATEHOUSE_SYNC_SECONDS of the fleet: how often each instance re-reads the shared keys. */
const SYNC_SECONDS = 1;
/** Scheduled rotation every 0.00001 day (0.864 s), so it is due as soon as a `next` key is old enough. */
const ROTATION_DAYS = '0.00001';

interface Backend {
  name: string;
  /** Prepares the shared store; answers the store variables and a direct handle for test set-up. */
  setUp(): Promise<{ env: Record<string, string>; open(): Store; tearDown(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'PostgreSQL',
    async setUp() {
      const db: TestDatabase = await createTestDatabase({ prefix: 'gatehouse_fleet' });
      return {
        env: { GATEHOUSE_STORE: 'postgres', GATEHOUSE_DATABASE_URL: db.connectionString },
        open: () => createPostgresStore({ connectionString: db.connectionString, poolSize: 2 }),
        tearDown: () => db.drop(),
      };
    },
  },
  {
    name: 'DynamoDB Local',
    async setUp() {
      const ddb: DynamoDbLocal = await startDynamoDbLocal();
      const env = {
        GATEHOUSE_STORE: 'dynamodb',
        GATEHOUSE_DYNAMODB_TABLE: 'gatehouse_fleet',
        GATEHOUSE_DYNAMODB_ENDPOINT: ddb.endpoint,
      };
      // The table is made as an operator would: `gatehouse store init`, the real bin.
      const init = await runGatehouse(['store', 'init'], env);
      if (init.code !== 0) throw new Error(`gatehouse store init failed:\n${init.stderr}`);
      return {
        env,
        open: () => createDynamoDbStore({ table: 'gatehouse_fleet', ...dynamoDbConnection(ddb.endpoint) }),
        tearDown: () => ddb.stop(),
      };
    },
  },
];

describe.each(BACKENDS)('two gatehouse serve processes sharing $name', (backend) => {
  let settings: FleetSettings;
  let store: Store;
  let tearDown: () => Promise<void>;
  let a: Instance;
  let b: Instance;
  let adminToken: string;

  const admin = () => ({ id: settings.admin.clientId, secret: settings.admin.clientSecret });
  const jwksOf = (instance: Instance) => createRemoteJWKSet(new URL(`${instance.url}/.well-known/jwks.json`));

  /** An API with read and write scopes, and a client granted both, made through `via`. */
  async function createApiAndClient(via: Instance) {
    const suffix = Math.random().toString(36).slice(2, 10);
    const audience = `https://fleet.test/${suffix}/`;
    const api = await management(via.url, adminToken, 'POST', 'resource-servers', {
      identifier: audience,
      name: `fleet ${suffix}`,
      scopes: [
        { value: 'read:things', description: 'read' },
        { value: 'write:things', description: 'write' },
      ],
    });
    expect(api.status).toBe(201);
    const created = await management(via.url, adminToken, 'POST', 'clients', {
      name: `fleet client ${suffix}`,
    });
    expect(created.status).toBe(201);
    const { client_id: id, client_secret: secret } = created.body as {
      client_id: string;
      client_secret: string;
    };
    const grant = await management(via.url, adminToken, 'POST', 'client-grants', {
      client_id: id,
      audience,
      scope: ['read:things', 'write:things'],
    });
    expect(grant.status).toBe(201);
    return { audience, client: { id, secret }, grantId: (grant.body as { id: string }).id };
  }

  async function tokenFrom(
    instance: Instance,
    client: { id: string; secret: string },
    form: Record<string, string>,
  ) {
    const answer = await requestToken(instance.url, client, form);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return String(answer.body.access_token);
  }

  async function introspect(instance: Instance, client: { id: string; secret: string }, token: string) {
    const res = await fetch(`${instance.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(client.id, client.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    return ((await res.json()) as { active: boolean }).active;
  }

  /** Polls `probe` until it answers true, for at most `rounds` sync intervals. */
  async function eventually(probe: () => Promise<boolean>, rounds = 10): Promise<boolean> {
    for (let i = 0; i < rounds * 4; i++) {
      if (await probe()) return true;
      await sleep((SYNC_SECONDS * 1000) / 4);
    }
    return probe();
  }

  beforeAll(async () => {
    const shared = await backend.setUp();
    tearDown = shared.tearDown;
    store = shared.open();
    settings = createFleetSettings({
      ...shared.env,
      GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS),
      GATEHOUSE_KEY_ROTATION_DAYS: ROTATION_DAYS,
    });
    // Both start at once on the empty store: one bootstrap, one first key.
    [a, b] = await Promise.all([startInstance('a', settings), startInstance('b', settings)]);
    adminToken = await tokenFrom(a, admin(), { audience: `${settings.issuer}api/v2/` });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    try {
      // The instances' output and the shared store, for every secret and token the suite obtained.
      await assertSpawnedOutputClean();
    } finally {
      await tearDown?.();
    }
  });

  it('issues tokens that verify against the other instance’s JWKS, both ways', async () => {
    const { audience, client } = await createApiAndClient(a);
    for (const [issuer, verifier] of [
      [a, b],
      [b, a],
    ] as const) {
      const token = await tokenFrom(issuer, client, { audience });
      const { payload } = await jwtVerify(token, jwksOf(verifier), {
        issuer: settings.issuer,
        audience,
        typ: 'at+jwt',
      });
      expect(payload.client_id).toBe(client.id);
    }
  });

  it('serves a client created through one instance from the other at once', async () => {
    const { audience, client } = await createApiAndClient(a);
    const token = await tokenFrom(b, client, { audience });
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
  });

  it('enforces a grant reduced through one instance on the other at once', async () => {
    const { audience, client, grantId } = await createApiAndClient(a);
    const before = await tokenFrom(b, client, { audience, scope: 'read:things write:things' });
    expect(await introspect(b, client, before)).toBe(true);

    const reduced = await management(a.url, adminToken, 'PATCH', `client-grants/${grantId}`, {
      scope: ['read:things'],
    });
    expect(reduced.status).toBe(200);

    // The very next requests to B see the reduction.
    const refused = await requestToken(b.url, client, { audience, scope: 'write:things' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');
    const narrowed = await requestToken(b.url, client, { audience });
    expect(narrowed.body.scope).toBe('read:things');
    // And the token issued before it is cut off on B too.
    expect(await introspect(b, client, before)).toBe(false);
  });

  it('refuses on the other instance at once a client disabled through one', async () => {
    const { audience, client } = await createApiAndClient(a);
    await tokenFrom(b, client, { audience });
    const disabled = await management(a.url, adminToken, 'PATCH', `clients/${client.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    const refused = await requestToken(b.url, client, { audience });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });

  /** The RS256 `next` keys as the Management API of `instance` lists them. */
  async function nextKeys(instance: Instance): Promise<string[]> {
    const keys = (await management(instance.url, adminToken, 'GET', 'keys/signing')).body as {
      kid: string;
      alg: string;
      next: boolean;
    }[];
    return keys.filter((k) => k.next && k.alg === 'RS256').map((k) => k.kid);
  }

  it('starts a key rotated in through one instance, published moments ago, only once every instance publishes it', async () => {
    const { audience, client } = await createApiAndClient(a);
    // The fleet started moments ago: its `next` key was made then, and the other instance may not
    // publish it yet (it built its JWKS before the key existed, and re-reads keys once per interval).
    const signing = decodeProtectedHeader(await tokenFrom(a, client, { audience })).kid;
    const next = await nextKeys(a);
    const rotated = await management(a.url, adminToken, 'POST', 'keys/signing/rotate');
    expect(rotated.status).toBe(201);
    const kid = (rotated.body as { kid: string }).kid;
    expect(next).toContain(kid);

    // B lists the new current key with its start ahead; meanwhile both instances sign with the key
    // they signed with, and every token verifies against either instance's JWKS.
    const listed = (await management(b.url, adminToken, 'GET', `keys/signing/${kid}`)).body as {
      current: boolean;
      current_since: string;
    };
    expect(listed.current).toBe(true);
    expect(Date.parse(listed.current_since)).toBeGreaterThan(Date.now() + 5 * 60_000);
    for (let round = 0; round < 3; round++) {
      for (const from of [a, b]) {
        const token = await tokenFrom(from, client, { audience });
        expect(decodeProtectedHeader(token).kid, from.name).toBe(signing);
        for (const to of [a, b]) await jwtVerify(token, jwksOf(to), { issuer: settings.issuer, audience });
      }
      await sleep(SYNC_SECONDS * 1000);
    }
  });

  it('puts a key rotated through one instance in force on the other', async () => {
    const { audience, client } = await createApiAndClient(a);
    // A `next` key published long ago, as on a fleet that has run a while: it signs at once.
    const next = await nextKeys(a);
    expect(next.length).toBeGreaterThan(0);
    for (const kid of next) await store.updateSigningKey(kid, { createdAt: Date.now() - 20 * 60_000 });
    const rotated = await management(a.url, adminToken, 'POST', 'keys/signing/rotate');
    expect(rotated.status).toBe(201);
    const kid = (rotated.body as { kid: string }).kid;

    // At once: B lists the new current key and verifies A's tokens signed with it.
    const listed = await management(b.url, adminToken, 'GET', 'keys/signing');
    expect((listed.body as { kid: string }[]).map((k) => k.kid)).toContain(kid);
    const fromA = await tokenFrom(a, client, { audience });
    expect(decodeProtectedHeader(fromA).kid).toBe(kid);
    await jwtVerify(fromA, jwksOf(b), { issuer: settings.issuer, audience });
    // Within its sync interval B signs with the new key as well.
    const signsWithNewKey = await eventually(
      async () => decodeProtectedHeader(await tokenFrom(b, client, { audience })).kid === kid,
    );
    expect(signsWithNewKey).toBe(true);
  });

  it('rotates on schedule exactly once across the fleet', async () => {
    const keysBefore = (await store.listSigningKeys()).filter((k) => k.alg === 'RS256');
    const current = keysBefore.find((k) => k.status === 'current')!;
    // The key every instance promotes: the `next` key published longest (ties: lowest kid).
    const nextBefore = keysBefore
      .filter((k) => k.status === 'next')
      .sort((x, y) => x.createdAt - y.createdAt || (x.kid < y.kid ? -1 : 1));
    const next = nextBefore[0]!;
    expect(next).toBeDefined();
    // The schedule (0.864 s) is long past, but a `next` key must have been published for two JWKS
    // cache lifetimes (10 minutes) before it may sign. Age it in the shared store, as if the fleet
    // had been running that long; both instances then find the rotation due in their next round.
    await store.updateSigningKey(next.kid, { createdAt: Date.now() - 20 * 60_000 });

    const rotated = await eventually(async () => (await store.getSigningKey(next.kid))?.status === 'current');
    expect(rotated).toBe(true);
    // Let both instances run several more rounds: none may rotate again.
    await sleep(4 * SYNC_SECONDS * 1000);

    const keysAfter = (await store.listSigningKeys()).filter((k) => k.alg === 'RS256');
    const byKid = new Map(keysAfter.map((k) => [k.kid, k]));
    expect(byKid.get(next.kid)?.status).toBe('current');
    expect(byKid.get(current.kid)?.status).toBe('previous');
    expect(keysAfter.filter((k) => k.status === 'current')).toHaveLength(1);
    // Only the instance that promoted the key publishes a new `next` one (when no other is left):
    // not one per instance.
    const nextAfter = keysAfter.filter((k) => k.status === 'next');
    expect(nextAfter).toHaveLength(Math.max(1, nextBefore.length - 1));
    // No key other than the promoted one was activated meanwhile.
    for (const k of keysBefore) {
      if (k.kid !== next.kid) expect(byKid.get(k.kid)?.activatedAt ?? null, k.kid).toBe(k.activatedAt);
    }
    // Every key that was current before is still accounted for once: only `current` moved.
    const retiredNow = keysAfter.filter((k) => k.status === 'previous' && k.retiredAt !== null);
    const retiredBefore = keysBefore.filter((k) => k.status === 'previous');
    expect(retiredNow.length).toBe(retiredBefore.length + 1);
    // Exactly one instance reports the rotation.
    const rotations = [...a.logs(), ...b.logs()].filter(
      (l) => l.event === 'signing_key.rotated' && l.kid === next.kid,
    );
    expect(rotations).toHaveLength(1);
    // Both instances sign with the promoted key.
    const { audience, client } = await createApiAndClient(b);
    for (const instance of [a, b]) {
      const signs = await eventually(
        async () => decodeProtectedHeader(await tokenFrom(instance, client, { audience })).kid === next.kid,
      );
      expect(signs, instance.name).toBe(true);
    }
  }, 60_000);

  it('keeps serving from one instance when the other is killed with SIGKILL under load, losing no acknowledged write', async () => {
    const { audience, client } = await createApiAndClient(a);
    const acknowledged: string[] = [];
    const tokenResults = { a: { ok: 0, failed: 0 }, b: { ok: 0, failed: 0 } };
    let killed = false;
    let stop = false;
    const MAX_REQUESTS = 4000;
    let requests = 0;

    // Four token loops across both instances, and one writer creating clients through A.
    const tokenLoop = async (worker: number) => {
      for (let i = 0; !stop && requests < MAX_REQUESTS; i++) {
        requests += 1;
        const target = (i + worker) % 2 === 0 ? a : b;
        const key = target === a ? 'a' : 'b';
        try {
          const res = await requestToken(target.url, client, { audience });
          if (res.status === 200) tokenResults[key].ok += 1;
          else tokenResults[key].failed += 1;
        } catch {
          tokenResults[key].failed += 1;
        }
      }
    };
    const writer = async () => {
      for (let i = 0; !stop && !killed; i++) {
        try {
          const res = await management(a.url, adminToken, 'POST', 'clients', { name: `written ${i}` });
          if (res.status === 201) acknowledged.push((res.body as { client_id: string }).client_id);
        } catch {
          // A connection cut by the kill: that write was never acknowledged.
        }
      }
    };
    const killer = async () => {
      await sleep(1500);
      a.child.kill('SIGKILL');
      await a.exited;
      killed = true;
      const failedOnBBefore = tokenResults.b.failed;
      // Keep loading B for a while after the kill, then stop.
      await sleep(1500);
      stop = true;
      return failedOnBBefore;
    };
    const [failedOnBBeforeKill] = await Promise.all([
      killer(),
      tokenLoop(0),
      tokenLoop(1),
      tokenLoop(2),
      tokenLoop(3),
      writer(),
    ]);

    // B answered every request, before and after A died.
    expect(failedOnBBeforeKill).toBe(0);
    expect(tokenResults.b.failed).toBe(0);
    expect(tokenResults.b.ok).toBeGreaterThan(10);
    expect(tokenResults.a.ok).toBeGreaterThan(0);
    expect(a.child.signalCode).toBe('SIGKILL');

    // Every client A acknowledged is there, read through B, and usable.
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const id of acknowledged) {
      const found = await management(b.url, adminToken, 'GET', `clients/${id}`);
      expect(found.status, id).toBe(200);
    }
    // B still takes writes and issues tokens.
    const after = await management(b.url, adminToken, 'POST', 'clients', { name: 'after the kill' });
    expect(after.status).toBe(201);
    await tokenFrom(b, client, { audience });
  }, 60_000);
});
