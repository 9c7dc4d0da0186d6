/**
 * Runs DDL that several instances may run at the same moment. `CREATE TABLE IF NOT EXISTS` is not
 * safe under concurrency in PostgreSQL (two sessions can both pass the check and one then fails on
 * the catalogue's unique index), so the statement runs in a transaction holding an advisory lock.
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
import type { Pool } from 'pg';

/** Runs `sql` once at a time across every session that passes the same `lockKey`. */
export async function runSchemaUnderLock(pool: Pool, lockKey: string, sql: string): Promise<void> {
  const conn = await pool.connect();
  let broken: Error | undefined;
  try {
    await conn.query('BEGIN');
    await conn.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    await conn.query(sql);
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    conn.release(broken);
  }
}
