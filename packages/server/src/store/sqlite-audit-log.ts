/**
 * The SQLite back-end of `AuditLogStore`: tables `audit_events` and `token_usage` in the store's
 * file. Its schema is created here with `IF NOT EXISTS` (idempotent, additive, independent of the
 * versioned store migrations), inside an IMMEDIATE transaction so two processes opening the same
 * file agree.
 */
import type { Database as Db } from 'better-sqlite3';
import {
  type AuditEventQuery,
  type AuditEventRecord,
  type AuditLogStore,
  toAuditEventType,
} from './audit-log.ts';
import { StoreConflictError } from './store.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_events (
    id          TEXT    PRIMARY KEY,        -- ULID (time-ordered)
    at          INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    client_id   TEXT,
    client_name TEXT,
    ip          TEXT,
    user_agent  TEXT,
    target_type TEXT,
    target_id   TEXT,
    description TEXT    NOT NULL,
    details     TEXT    NOT NULL,           -- JSON object, never a secret
    expires_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS audit_events_by_at ON audit_events (at, id);
  CREATE INDEX IF NOT EXISTS audit_events_by_client ON audit_events (client_id, at);
  CREATE INDEX IF NOT EXISTS audit_events_by_target ON audit_events (target_type, target_id, at);
  CREATE INDEX IF NOT EXISTS audit_events_by_expiry ON audit_events (expires_at);

  CREATE TABLE IF NOT EXISTS token_usage (
    bucket       INTEGER NOT NULL,
    client_id    TEXT    NOT NULL,
    audience     TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    lifetime_sum INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (bucket, client_id, audience, outcome)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS token_usage_by_expiry ON token_usage (expires_at);
`;

interface AuditEventRow {
  id: string;
  at: number;
  type: string;
  action: string;
  outcome: string;
  client_id: string | null;
  client_name: string | null;
  ip: string | null;
  user_agent: string | null;
  target_type: string | null;
  target_id: string | null;
  description: string;
  details: string;
  expires_at: number;
}

interface UsageRow {
  bucket: number;
  client_id: string;
  audience: string;
  outcome: string;
  count: number;
  lifetime_sum: number;
}

/** Creates the audit tables when missing; idempotent. */
export function migrateSqliteAuditLog(db: Db): void {
  db.transaction(() => db.exec(SCHEMA)).immediate();
}

/** The SQLite `AuditLogStore` over an open store database (its schema is created first). */
export function createSqliteAuditLog(db: Db): AuditLogStore {
  migrateSqliteAuditLog(db);
  const insert = db.prepare<AuditEventRow>(
    `INSERT INTO audit_events (id, at, type, action, outcome, client_id, client_name, ip, user_agent,
       target_type, target_id, description, details, expires_at)
     VALUES (@id, @at, @type, @action, @outcome, @client_id, @client_name, @ip, @user_agent,
       @target_type, @target_id, @description, @details, @expires_at)`,
  );
  const byId = db.prepare<[string, number], AuditEventRow>(
    'SELECT * FROM audit_events WHERE id = ? AND expires_at > ?',
  );
  const prune = db.prepare<[number]>('DELETE FROM audit_events WHERE expires_at <= ?');
  const addUsage = db.prepare<UsageRow & { expires_at: number }>(
    `INSERT INTO token_usage (bucket, client_id, audience, outcome, count, lifetime_sum, expires_at)
     VALUES (@bucket, @client_id, @audience, @outcome, @count, @lifetime_sum, @expires_at)
     ON CONFLICT (bucket, client_id, audience, outcome) DO UPDATE SET
       count = count + excluded.count,
       lifetime_sum = lifetime_sum + excluded.lifetime_sum,
       expires_at = max(expires_at, excluded.expires_at)`,
  );
  const pruneUsage = db.prepare<[number]>('DELETE FROM token_usage WHERE expires_at <= ?');
  const addUsageTx = db.transaction((rows: readonly (UsageRow & { expires_at: number })[]) => {
    for (const row of rows) addUsage.run(row);
  });

  return {
    async appendAuditEvent(e) {
      try {
        insert.run(fromAuditEvent(e));
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreConflictError(`audit event ${e.id} exists`);
        throw err;
      }
    },
    async getAuditEvent(id, now) {
      const row = byId.get(id, now);
      return row === undefined ? null : toAuditEvent(row);
    },
    async listAuditEvents(q) {
      const { where, params } = whereOf(q);
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      return db.transaction(() => {
        const total = db.prepare<Record<string, unknown>, { n: number }>(
          `SELECT count(*) AS n FROM audit_events WHERE ${where}`,
        );
        const rows = db.prepare<Record<string, unknown>, AuditEventRow>(
          `SELECT * FROM audit_events WHERE ${where} ORDER BY at ${dir}, id ${dir} LIMIT @limit OFFSET @offset`,
        );
        const n = total.get(params)?.n ?? 0;
        const items = rows.all({ ...params, limit: q.perPage, offset: q.page * q.perPage }).map(toAuditEvent);
        return { items, total: n };
      })();
    },
    async pruneAuditEvents(now) {
      return prune.run(now).changes;
    },
    async addTokenUsage(increments) {
      addUsageTx(
        increments.map((i) => ({
          bucket: i.bucket,
          client_id: i.clientId,
          audience: i.audience,
          outcome: i.outcome,
          count: i.count,
          lifetime_sum: i.lifetimeSum,
          expires_at: i.expiresAt,
        })),
      );
    },
    async listTokenUsage({ from, to, clientId }) {
      const rows =
        clientId === undefined
          ? db
              .prepare<[number, number], UsageRow>(
                'SELECT * FROM token_usage WHERE bucket >= ? AND bucket < ? ORDER BY bucket, client_id, audience, outcome',
              )
              .all(from, to)
          : db
              .prepare<[number, number, string], UsageRow>(
                'SELECT * FROM token_usage WHERE bucket >= ? AND bucket < ? AND client_id = ? ORDER BY bucket, audience, outcome',
              )
              .all(from, to, clientId);
      return rows.map((r) => ({
        bucket: r.bucket,
        clientId: r.client_id,
        audience: r.audience,
        outcome: r.outcome,
        count: r.count,
        lifetimeSum: r.lifetime_sum,
      }));
    },
    async pruneTokenUsage(now) {
      return pruneUsage.run(now).changes;
    },
  };
}

/** The WHERE clause (named parameters) of an event query. */
function whereOf(q: AuditEventQuery): { where: string; params: Record<string, unknown> } {
  const parts = ['expires_at > @now'];
  const params: Record<string, unknown> = { now: q.now };
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    parts.push(`${column} = @${column}`);
    params[column] = value;
  };
  eq('client_id', q.clientId);
  eq('type', q.type);
  eq('action', q.action);
  eq('target_type', q.targetType);
  eq('target_id', q.targetId);
  if (q.from !== undefined) {
    parts.push('at >= @from');
    params.from = q.from;
  }
  if (q.to !== undefined) {
    parts.push('at < @to');
    params.to = q.to;
  }
  return { where: parts.join(' AND '), params };
}

function fromAuditEvent(e: AuditEventRecord): AuditEventRow {
  return {
    id: e.id,
    at: e.at,
    type: e.type,
    action: e.action,
    outcome: e.outcome,
    client_id: e.clientId,
    client_name: e.clientName,
    ip: e.ip,
    user_agent: e.userAgent,
    target_type: e.targetType,
    target_id: e.targetId,
    description: e.description,
    details: JSON.stringify(e.details),
    expires_at: e.expiresAt,
  };
}

function toAuditEvent(r: AuditEventRow): AuditEventRecord {
  return {
    id: r.id,
    at: r.at,
    type: toAuditEventType(r.type, r.outcome),
    action: r.action,
    outcome: r.outcome === 'failure' ? 'failure' : 'success',
    clientId: r.client_id,
    clientName: r.client_name,
    ip: r.ip,
    userAgent: r.user_agent,
    targetType: r.target_type,
    targetId: r.target_id,
    description: r.description,
    details: JSON.parse(r.details) as Record<string, unknown>,
    expiresAt: r.expires_at,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}
