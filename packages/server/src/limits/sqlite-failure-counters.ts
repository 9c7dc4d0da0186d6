/**
 * Failure counters in the embedded store's SQLite file, on a connection of their own, so every
 * process that opens the same file (several `gatehouse serve` on one host or one volume) shares
 * them. The table lives outside the store's migrations: it holds nothing worth backing up, and
 * `CREATE TABLE IF NOT EXISTS` keeps it self-contained. Each failure is one short IMMEDIATE
 * transaction (read, apply the rule, write), serialized by SQLite's single writer.
 * @see https://www.sqlite.org/lang_transaction.html
 */
import Database from 'better-sqlite3';
import type { FailureCounterStore } from './failure-counter-store.ts';
import {
  applyFailure,
  type FailureRecord,
  type FailureUpdate,
  forgetAt,
  type LockoutRule,
} from './lockout-policy.ts';

interface Row {
  failures: number;
  window_started_at: number;
  last_failure_at: number;
  locked_until: number;
  lockouts: number;
}

/** Opens the counters in the SQLite file `file` (created by the store beforehand). */
export function createSqliteFailureCounters(file: string): FailureCounterStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS auth_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    lockouts INTEGER NOT NULL,
    forget_at INTEGER NOT NULL
  ) WITHOUT ROWID`);
  const select = db.prepare<[string], Row>(
    'SELECT failures, window_started_at, last_failure_at, locked_until, lockouts FROM auth_failures WHERE key = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO auth_failures VALUES (@key, @failures, @window_started_at, @last_failure_at, @locked_until, @lockouts, @forget_at)
     ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, window_started_at = excluded.window_started_at,
       last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until,
       lockouts = excluded.lockouts, forget_at = excluded.forget_at`,
  );
  const prune = db.prepare('DELETE FROM auth_failures WHERE forget_at < ?');
  const locked = db.prepare<[number, number], { key: string; locked_until: number }>(
    'SELECT key, locked_until FROM auth_failures WHERE locked_until > ? LIMIT ?',
  );
  let writes = 0;

  const record = db.transaction((key: string, now: number, rule: LockoutRule): FailureUpdate => {
    const row = select.get(key);
    const before: FailureRecord | null =
      row === undefined
        ? null
        : {
            failures: row.failures,
            windowStartedAt: row.window_started_at,
            lastFailureAt: row.last_failure_at,
            lockedUntil: row.locked_until,
            lockouts: row.lockouts,
          };
    const after = applyFailure(before, now, rule);
    upsert.run({
      key,
      failures: after.failures,
      window_started_at: after.windowStartedAt,
      last_failure_at: after.lastFailureAt,
      locked_until: after.lockedUntil,
      lockouts: after.lockouts,
      forget_at: forgetAt(after, rule),
    });
    // Keep the table to the keys that still matter, a little at a time.
    if (++writes % 256 === 0) prune.run(now);
    return { before, after };
  });

  return {
    async recordFailure(key, now, rule) {
      return record.immediate(key, now, rule);
    },
    async listLocked(now, limit) {
      return locked.all(now, limit).map((r) => ({ key: r.key, lockedUntil: r.locked_until }));
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
