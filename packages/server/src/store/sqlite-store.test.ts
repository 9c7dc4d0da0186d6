import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateSqlite, SQLITE_MIGRATIONS, SqliteSchemaTooNewError } from './sqlite-migrations.ts';
import { createSqliteStore } from './sqlite-store.ts';
import { runStoreContract, sampleClient, sampleClientGrant, sampleResourceServer } from './store-contract.ts';

runStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
  const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite store', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-'));
    file = join(dir, 'nested', 'gatehouse.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates its folder and a file only its owner can read', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
  });

  it('runs in WAL mode and its schema refuses orphan grants', async () => {
    const store = createSqliteStore({ file });
    const raw = new Database(file);
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.pragma('foreign_keys = ON');
      const orphan = raw.prepare(
        `INSERT INTO client_grants (id, client_id, audience, scope, token_lifetime, created_at, updated_at)
         VALUES ('g', 'nobody', 'nowhere', '[]', NULL, 1, 1)`,
      );
      expect(() => orphan.run()).toThrow(/FOREIGN KEY/);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('waits for another process that holds the write lock instead of failing', async () => {
    const store = createSqliteStore({ file, busyTimeoutMs: 10_000 });
    // The other process takes the write lock, says so, holds it briefly, then commits.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
         db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         db.exec('COMMIT'); db.close();`,
        file,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(holder, 'exit');
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        holder.on('exit', () => reject(new Error('lock holder exited early')));
      });
      const client = await store.createClient(sampleClient());
      expect(await store.getClient(client.clientId)).toEqual(client);
      expect((await exited)[0]).toBe(0);
    } finally {
      holder.kill();
      await store.close();
    }
  });

  it('keeps its data across close and reopen', async () => {
    const first = createSqliteStore({ file });
    const rs = await first.createResourceServer(sampleResourceServer());
    const client = await first.createClient(sampleClient());
    const grant = await first.createClientGrant(sampleClientGrant(client.clientId, rs.identifier));
    await first.close();

    const second = createSqliteStore({ file });
    try {
      expect(await second.getResourceServer(rs.id)).toEqual(rs);
      expect(await second.getClient(client.clientId)).toEqual(client);
      expect(await second.findClientGrant(client.clientId, rs.identifier)).toEqual(grant);
    } finally {
      await second.close();
    }
  });

  it('applies each migration once, however often it is opened or migrated', async () => {
    for (let i = 0; i < 3; i += 1) {
      const store = createSqliteStore({ file });
      await store.migrate();
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    try {
      const rows = raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(rows).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      raw.close();
    }
  });

  it('rolls a failing migration back completely', () => {
    const db = new Database(':memory:');
    try {
      migrateSqlite(db);
      const broken = [
        ...SQLITE_MIGRATIONS,
        { version: 99, name: 'broken', sql: 'CREATE TABLE half_done (a TEXT); SELECT * FROM no_such_table;' },
      ];
      expect(() => migrateSqlite(db, broken)).toThrow(/no_such_table/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
      expect(db.prepare('SELECT version FROM schema_migrations WHERE version = 99').get()).toBeUndefined();
      expect(migrateSqlite(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const store = createSqliteStore({ file });
    await store.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 1)").run();
    raw.close();
    expect(() => createSqliteStore({ file })).toThrow(SqliteSchemaTooNewError);
  });

  it('prunes used assertion ids past their expiry, and only those', async () => {
    const store = createSqliteStore({ file });
    try {
      await store.recordAssertionJti('client-a', 'stale', Date.now() - 1);
      await store.recordAssertionJti('client-a', 'live', Date.now() + 60_000);
      expect(await store.pruneRevocations(Date.now())).toBe(1);
      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.prepare('SELECT jti FROM used_assertions').all()).toEqual([{ jti: 'live' }]);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('refuses a negative page or an empty page size', async () => {
    const store = createSqliteStore({ file });
    try {
      await expect(store.listClients({ page: -1, perPage: 10 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.listClients({ page: 0, perPage: 0 })).rejects.toBeInstanceOf(RangeError);
    } finally {
      await store.close();
    }
  });
});
