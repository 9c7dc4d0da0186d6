/**
 * Failure counters in the PostgreSQL database the store uses, on a small pool of their own, so
 * every instance of a shared deployment shares them. One transaction per failure: the row is
 * created if absent, then locked with `SELECT ... FOR UPDATE`, so concurrent failures on one key
 * from several instances are applied one after the other. The table is created on open
 * (`CREATE TABLE IF NOT EXISTS` under an advisory lock), outside the store's migrations: it holds
 * nothing to back up.
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS
 */
import { Pool } from 'pg';
import { runSchemaUnderLock } from '../store/postgres-schema-lock.ts';
import type { FailureCounterStore } from './failure-counter-store.ts';
import { applyFailure, type FailureRecord, forgetAt } from './lockout-policy.ts';

/** Serialises the table's creation across instances starting at once (any constant bigint). */
const FAILURES_LOCK_KEY = '7451320350296205346';

interface Row {
  failures: string;
  window_started_at: string;
  last_failure_at: string;
  locked_until: string;
  lockouts: number;
}

/** Opens the counters in the database at `connectionString`. */
export async function createPostgresFailureCounters(
  connectionString: string,
  onError?: (err: Error) => void,
): Promise<FailureCounterStore> {
  const pool = new Pool({ connectionString, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', (err) => onError?.(err));
  await runSchemaUnderLock(
    pool,
    FAILURES_LOCK_KEY,
    `CREATE TABLE IF NOT EXISTS gatehouse_auth_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_started_at BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    lockouts INTEGER NOT NULL,
    forget_at BIGINT NOT NULL
  )`,
  );
  let writes = 0;

  return {
    async recordFailure(key, now, rule) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO gatehouse_auth_failures VALUES ($1, 0, $2, 0, 0, 0, 0) ON CONFLICT (key) DO NOTHING`,
          [key, now],
        );
        const { rows } = await client.query<Row>(
          `SELECT failures, window_started_at, last_failure_at, locked_until, lockouts
           FROM gatehouse_auth_failures WHERE key = $1 FOR UPDATE`,
          [key],
        );
        const row = rows[0];
        // A row with no failure yet is the placeholder just inserted: no history.
        const before: FailureRecord | null =
          row === undefined || Number(row.last_failure_at) === 0
            ? null
            : {
                failures: Number(row.failures),
                windowStartedAt: Number(row.window_started_at),
                lastFailureAt: Number(row.last_failure_at),
                lockedUntil: Number(row.locked_until),
                lockouts: row.lockouts,
              };
        const after = applyFailure(before, now, rule);
        await client.query(
          `UPDATE gatehouse_auth_failures SET failures = $2, window_started_at = $3, last_failure_at = $4,
             locked_until = $5, lockouts = $6, forget_at = $7 WHERE key = $1`,
          [
            key,
            after.failures,
            after.windowStartedAt,
            after.lastFailureAt,
            after.lockedUntil,
            after.lockouts,
            forgetAt(after, rule),
          ],
        );
        if (++writes % 256 === 0) {
          await client.query('DELETE FROM gatehouse_auth_failures WHERE forget_at < $1', [now]);
        }
        await client.query('COMMIT');
        return { before, after };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listLocked(now, limit) {
      const { rows } = await pool.query<{ key: string; locked_until: string }>(
        'SELECT key, locked_until FROM gatehouse_auth_failures WHERE locked_until > $1 LIMIT $2',
        [now, limit],
      );
      return rows.map((r) => ({ key: r.key, lockedUntil: Number(r.locked_until) }));
    },
    async close() {
      await pool.end();
    },
  };
}
