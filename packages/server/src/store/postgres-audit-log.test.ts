import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/services/postgres.ts';
import { runAuditLogContract } from './audit-log-contract.ts';
import { migratePostgresAuditLog } from './postgres-audit-log.ts';
import { createPostgresStore } from './postgres-store.ts';

// One database for this file, emptied before each test and dropped at the end.
let shared: TestDatabase;
let sharedPool: Pool;
beforeAll(async () => {
  shared = await createTestDatabase();
  sharedPool = new Pool({ connectionString: shared.connectionString, max: 4 });
});
afterAll(async () => {
  await sharedPool?.end();
  await shared?.drop();
});

runAuditLogContract('postgres', async () => {
  const store = createPostgresStore({ connectionString: shared.connectionString, poolSize: 4 });
  await store.migrate();
  await sharedPool.query('TRUNCATE audit_events, token_usage');
  return { store, cleanup: () => store.close() };
});

describe('PostgreSQL audit log', () => {
  it('creates its schema once when several instances migrate at the same moment', async () => {
    const db = await createTestDatabase();
    const pool = new Pool({ connectionString: db.connectionString, max: 6 });
    try {
      await Promise.all([1, 2, 3, 4].map(() => migratePostgresAuditLog(pool)));
      const { rows } = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('audit_events', 'token_usage')",
      );
      expect(Number(rows[0]?.n)).toBe(2);
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});
