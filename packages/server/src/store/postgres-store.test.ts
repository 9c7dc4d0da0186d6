import { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/services/postgres.ts';
import { createClientId } from '../ids.ts';
import { migratePostgres, POSTGRES_MIGRATIONS, PostgresSchemaTooNewError } from './postgres-migrations.ts';
import { createPostgresStore } from './postgres-store.ts';
import type { Store } from './store.ts';
import { StoreConflictError } from './store.ts';
import {
  runStoreContract,
  sampleClient,
  sampleClientGrant,
  sampleResourceServer,
  sampleSigningKey,
} from './store-contract.ts';

// One database for this file's contract run, emptied before each test and dropped at the end.
let shared: TestDatabase;
let sharedPool: Pool;
beforeAll(async () => {
  shared = await createTestDatabase();
  sharedPool = new Pool({ connectionString: shared.connectionString, max: 1 });
});
afterAll(async () => {
  await sharedPool?.end();
  await shared?.drop();
});

runStoreContract(
  'postgres',
  async () => {
    const store = createPostgresStore({ connectionString: shared.connectionString, poolSize: 4 });
    await store.migrate();
    await sharedPool.query(
      `TRUNCATE client_grants, clients, resource_servers, signing_keys, revoked_tokens, cutoffs, revoked_keys,
       used_assertions; UPDATE counters SET value = 0`,
    );
    return { store, cleanup: () => store.close() };
  },
  async () => {
    // The transfer contract holds two stores at once: each in a database of its own.
    const db = await createTestDatabase();
    const store = createPostgresStore({ connectionString: db.connectionString, poolSize: 4 });
    await store.migrate();
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  },
);

describe('PostgreSQL store', () => {
  const opened: { close(): Promise<void> }[] = [];
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of databases.splice(0)) await d.drop();
  });

  async function freshDatabase(icuLocale?: string): Promise<TestDatabase> {
    const db = await createTestDatabase(icuLocale === undefined ? {} : { icuLocale });
    databases.push(db);
    return db;
  }
  function openStore(connectionString: string, onError?: (err: Error) => void): Store {
    const store = createPostgresStore({ connectionString, poolSize: 4, ...(onError ? { onError } : {}) });
    opened.push(store);
    return store;
  }
  function openPool(connectionString: string): Pool {
    const pool = new Pool({ connectionString, max: 2 });
    opened.push({ close: () => pool.end() });
    return pool;
  }
  async function appliedVersions(pool: Pool): Promise<number[]> {
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return rows.map((r) => r.version);
  }

  it('applies each migration once, however often it is migrated', async () => {
    const db = await freshDatabase();
    for (let i = 0; i < 3; i += 1) {
      const store = openStore(db.connectionString);
      await store.migrate();
      await store.migrate();
    }
    expect(await appliedVersions(openPool(db.connectionString))).toEqual(
      POSTGRES_MIGRATIONS.map((m) => m.version),
    );
  });

  it('lets several instances migrate one fresh database at the same time', async () => {
    const db = await freshDatabase();
    const stores = Array.from({ length: 4 }, () => openStore(db.connectionString));
    const results = await Promise.allSettled(stores.map((s) => s.migrate()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await appliedVersions(openPool(db.connectionString))).toEqual(
      POSTGRES_MIGRATIONS.map((m) => m.version),
    );
    const client = await stores[0]!.createClient(sampleClient());
    expect(await stores[3]!.getClient(client.clientId)).toEqual(client);
  });

  it('rolls a failing migration back completely and applies nothing twice afterwards', async () => {
    const db = await freshDatabase();
    const pool = openPool(db.connectionString);
    expect(await migratePostgres(pool)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    const broken = [
      ...POSTGRES_MIGRATIONS,
      { version: 99, name: 'broken', sql: 'CREATE TABLE half_done (a text); SELECT * FROM no_such_table;' },
    ];
    await expect(migratePostgres(pool, broken)).rejects.toThrow(/no_such_table/);
    const { rows } = await pool.query("SELECT to_regclass('half_done') AS t");
    expect(rows[0]).toEqual({ t: null });
    expect(await appliedVersions(pool)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(await migratePostgres(pool)).toEqual([]);
  });

  it('refuses a database migrated by a newer schema', async () => {
    const db = await freshDatabase();
    const store = openStore(db.connectionString);
    await store.migrate();
    await openPool(db.connectionString).query(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 1)",
    );
    await expect(store.migrate()).rejects.toBeInstanceOf(PostgresSchemaTooNewError);
  });

  it('has a schema that itself refuses orphan grants and a second current key', async () => {
    const db = await freshDatabase();
    await openStore(db.connectionString).migrate();
    const pool = openPool(db.connectionString);
    await expect(
      pool.query(`INSERT INTO client_grants (id, client_id, audience, scope, created_at, updated_at)
                  VALUES ('g', 'nobody', 'nowhere', '[]', 1, 1)`),
    ).rejects.toMatchObject({ code: '23503' });
    const insertKey = (kid: string) =>
      pool.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, encrypted_private_key, status, created_at)
         VALUES ($1, 'RS256', '{}', 'sealed', 'current', 1)`,
        [kid],
      );
    await insertKey('k1');
    await expect(insertKey('k2')).rejects.toMatchObject({
      code: '23505',
      constraint: 'signing_keys_one_current',
    });
  });

  it('orders ties in creation time by id in byte order whatever the database locale', async () => {
    const db = await freshDatabase('en-US');
    const store = openStore(db.connectionString);
    await store.migrate();
    // Same millisecond, ids that an en-US collation would order a, A, b, B.
    const ids = ['b', 'A', 'a', 'B'].map((c) => `${c}${createClientId().slice(1)}`);
    const pool = openPool(db.connectionString);
    for (const id of ids) {
      await pool.query(
        `INSERT INTO clients (client_id, name, description, app_type, token_endpoint_auth_method, secrets,
         credentials, metadata, disabled, created_at, updated_at)
         VALUES ($1, 'n', '', 'non_interactive', 'client_secret_basic', '[]', '[]', '{}', false, 5, 5)`,
        [id],
      );
    }
    const listed = (await store.listClients({ page: 0, perPage: 10 })).items.map((c) => c.clientId);
    expect(listed).toEqual([...ids].sort());
    const paged = [
      ...(await store.listClients({ page: 0, perPage: 2 })).items,
      ...(await store.listClients({ page: 1, perPage: 2 })).items,
    ].map((c) => c.clientId);
    expect(paged).toEqual(listed);
  });

  it('keeps answering after the server closes its connections', async () => {
    const db = await freshDatabase();
    const errors: Error[] = [];
    const store = openStore(db.connectionString, (err) => errors.push(err));
    await store.migrate();
    const client = await store.createClient(sampleClient());
    // Warm several pooled connections, then have the server end them all (as a restart would).
    await Promise.all(Array.from({ length: 4 }, () => store.getClient(client.clientId)));
    const ended = await db.admin(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db.name],
    );
    expect(ended.length).toBeGreaterThan(0);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(await store.getClient(client.clientId)).toEqual(client);
    await expect(store.ping()).resolves.toBeUndefined();
    const again = await store.createClient(sampleClient());
    expect(await store.getClient(again.clientId)).toEqual(again);
  });

  it('activates two keys of one alg from two instances at once and ends with exactly one current', async () => {
    const db = await freshDatabase();
    const a = openStore(db.connectionString);
    const b = openStore(db.connectionString);
    await a.migrate();
    const old = await a.createSigningKey(
      sampleSigningKey({ alg: 'RS256', status: 'current', activatedAt: 1 }),
    );
    const k1 = await a.createSigningKey(sampleSigningKey({ alg: 'RS256' }));
    const k2 = await a.createSigningKey(sampleSigningKey({ alg: 'RS256' }));
    for (let round = 0; round < 5; round += 1) {
      const results = await Promise.allSettled([
        a.activateSigningKey(k1.kid, 100),
        b.activateSigningKey(k2.kid, 100),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const current = (await a.listSigningKeys()).filter((k) => k.status === 'current');
      expect(current).toHaveLength(1);
      expect([k1.kid, k2.kid]).toContain(current[0]!.kid);
      // Make both candidates `next` again for the following round.
      await a.updateSigningKey(current[0]!.kid, { status: 'next' });
      for (const k of [k1, k2]) await a.updateSigningKey(k.kid, { status: 'next' });
    }
    expect((await a.getSigningKey(old.kid))?.status).toBe('previous');
  });

  it('lets exactly one of two instances create the first current key of an alg', async () => {
    const db = await freshDatabase();
    const a = openStore(db.connectionString);
    const b = openStore(db.connectionString);
    await a.migrate();
    const results = await Promise.allSettled([
      a.createSigningKey(sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 })),
      b.createSigningKey(sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(StoreConflictError);
  });

  it('never leaves a grant behind when an API is force-deleted while grants are being created', async () => {
    const db = await freshDatabase();
    const a = openStore(db.connectionString);
    const b = openStore(db.connectionString);
    await a.migrate();
    const clients = await Promise.all(Array.from({ length: 6 }, () => a.createClient(sampleClient())));
    for (let round = 0; round < 5; round += 1) {
      const rs = await a.createResourceServer(sampleResourceServer());
      const creating = clients.map((c) => b.createClientGrant(sampleClientGrant(c.clientId, rs.identifier)));
      const deleting = a.deleteResourceServer(rs.id, { force: true });
      const [deleted] = await Promise.allSettled([deleting, ...creating]);
      expect(deleted.status).toBe('fulfilled');
      expect(await a.getResourceServer(rs.id)).toBeNull();
      expect((await a.listClientGrants({ page: 0, perPage: 50, audience: rs.identifier })).total).toBe(0);
    }
  });

  it('refuses a negative page or an empty page size', async () => {
    const db = await freshDatabase();
    const store = openStore(db.connectionString);
    await store.migrate();
    await expect(store.listClients({ page: -1, perPage: 10 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.listClientGrants({ page: 0, perPage: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.listResourceServers({ page: 0.5, perPage: 10 })).rejects.toBeInstanceOf(RangeError);
  });

  it('can be closed twice', async () => {
    const db = await freshDatabase();
    const store = openStore(db.connectionString);
    await store.ping();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
