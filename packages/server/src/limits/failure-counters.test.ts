/**
 * The failure counter back-ends, each with two connections to one real store (SQLite file,
 * PostgreSQL, DynamoDB Local): concurrent failures are never lost, and a lock set through one
 * connection is seen through the other.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../test/services/dynamodb-local.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/services/postgres.ts';
import { createStoreTable } from '../store/dynamodb-table.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { createDynamoDbFailureCounters } from './dynamodb-failure-counters.ts';
import type { FailureCounterStore } from './failure-counter-store.ts';
import type { LockoutRule } from './lockout-policy.ts';
import { createMemoryFailureCounters } from './memory-failure-counters.ts';
import { createPostgresFailureCounters } from './postgres-failure-counters.ts';
import { createSqliteFailureCounters } from './sqlite-failure-counters.ts';

const counting: LockoutRule = { maxFailures: 1000, windowMs: 60_000, baseLockMs: 30_000, maxLockMs: 600_000 };
const locking: LockoutRule = { ...counting, maxFailures: 5 };

function runContract(
  name: string,
  open: () => Promise<[FailureCounterStore, FailureCounterStore]>,
  listsLocks = true,
) {
  describe(`${name} failure counters`, () => {
    let a: FailureCounterStore;
    let b: FailureCounterStore;
    beforeAll(async () => {
      [a, b] = await open();
    }, 120_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('loses no failure when two connections count one key at once', async () => {
      const key = `k|${randomBytes(4).toString('hex')}`;
      const now = Date.now();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).recordFailure(key, now, counting)),
      );
      const last = await a.recordFailure(key, now, counting);
      expect(last.after.failures).toBe(21);
    });

    it('shows a lock set through one connection to the other', async () => {
      const key = `k|${randomBytes(4).toString('hex')}`;
      const now = Date.now();
      for (let i = 0; i < 5; i++) await a.recordFailure(key, now, locking);
      const seen = await b.recordFailure(key, now + 1, locking);
      expect(seen.before?.lockedUntil).toBe(now + 30_000);
      if (listsLocks)
        expect(await b.listLocked(now + 1, 100)).toContainEqual({ key, lockedUntil: now + 30_000 });
    });
  });
}

runContract('memory', async () => {
  const shared = createMemoryFailureCounters();
  return [shared, shared];
});

let dir: string;
runContract('SQLite', async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-counters-'));
  const file = join(dir, 'gatehouse.db');
  await createSqliteStore({ file }).close();
  return [createSqliteFailureCounters(file), createSqliteFailureCounters(file)];
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

let db: TestDatabase;
runContract('PostgreSQL', async () => {
  db = await createTestDatabase();
  return [
    await createPostgresFailureCounters(db.connectionString),
    await createPostgresFailureCounters(db.connectionString),
  ];
});
afterAll(() => db?.drop());

let ddb: DynamoDbLocal;
runContract(
  'DynamoDB',
  async () => {
    ddb = await startDynamoDbLocal();
    const client = () =>
      new DynamoDBClient({
        endpoint: ddb.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      });
    const table = `counters-${randomBytes(3).toString('hex')}`;
    await createStoreTable({ table, client: client() });
    return [
      createDynamoDbFailureCounters({ table, client: client() }),
      createDynamoDbFailureCounters({ table, client: client() }),
    ];
  },
  false,
);
afterAll(() => ddb?.stop());
