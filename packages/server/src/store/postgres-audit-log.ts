/**
 * The PostgreSQL back-end of `AuditLogStore`: tables `audit_events` and `token_usage`. The schema
 * is created by `migratePostgresAuditLog` with `IF NOT EXISTS` under a transaction-scoped advisory
 * lock (two instances starting at once queue on it), independent of the versioned store
 * migrations. Usage adds are `INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count`,
 * atomic per row, so flushes from several instances sum.
 * @see https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT
 */
import { DatabaseError, type Pool } from 'pg';
import {
  type AuditEventQuery,
  type AuditEventRecord,
  type AuditLogStore,
  toAuditEventType,
} from './audit-log.ts';
import { runSchemaUnderLock } from './postgres-schema-lock.ts';
import { StoreConflictError } from './store.ts';

/** Advisory lock key of the audit schema (ASCII "ghaudit!"). */
const AUDIT_LOCK_KEY = '7451320350296205345';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_events (
    id          TEXT   PRIMARY KEY,
    at          BIGINT NOT NULL,
    type        TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    outcome     TEXT   NOT NULL,
    client_id   TEXT,
    client_name TEXT,
    ip          TEXT,
    user_agent  TEXT,
    target_type TEXT,
    target_id   TEXT,
    description TEXT   NOT NULL,
    details     JSONB  NOT NULL,
    expires_at  BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_events_by_at ON audit_events (at, id);
  CREATE INDEX IF NOT EXISTS audit_events_by_client ON audit_events (client_id, at);
  CREATE INDEX IF NOT EXISTS audit_events_by_target ON audit_events (target_type, target_id, at);
  CREATE INDEX IF NOT EXISTS audit_events_by_expiry ON audit_events (expires_at);

  CREATE TABLE IF NOT EXISTS token_usage (
    bucket       BIGINT NOT NULL,
    client_id    TEXT   NOT NULL,
    audience     TEXT   NOT NULL,
    outcome      TEXT   NOT NULL,
    count        BIGINT NOT NULL,
    lifetime_sum BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (bucket, client_id, audience, outcome)
  );
  CREATE INDEX IF NOT EXISTS token_usage_by_expiry ON token_usage (expires_at);
`;

interface AuditEventRow {
  id: string;
  at: string;
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
  details: Record<string, unknown>;
  expires_at: string;
}

interface UsageRow {
  bucket: string;
  client_id: string;
  audience: string;
  outcome: string;
  count: string;
  lifetime_sum: string;
}

/** Creates the audit tables when missing; idempotent and safe to run from several instances at once. */
export async function migratePostgresAuditLog(pool: Pool): Promise<void> {
  await runSchemaUnderLock(pool, AUDIT_LOCK_KEY, SCHEMA);
}

/** The PostgreSQL `AuditLogStore` over the store's pool (run `migratePostgresAuditLog` first). */
export function createPostgresAuditLog(pool: Pool): AuditLogStore {
  return {
    async appendAuditEvent(e) {
      try {
        await pool.query({
          name: 'gh_audit_insert',
          text: `INSERT INTO audit_events (id, at, type, action, outcome, client_id, client_name, ip,
                   user_agent, target_type, target_id, description, details, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          values: [
            e.id,
            e.at,
            e.type,
            e.action,
            e.outcome,
            e.clientId,
            e.clientName,
            e.ip,
            e.userAgent,
            e.targetType,
            e.targetId,
            e.description,
            JSON.stringify(e.details),
            e.expiresAt,
          ],
        });
      } catch (err) {
        if (err instanceof DatabaseError && err.code === '23505') {
          throw new StoreConflictError(`audit event ${e.id} exists`);
        }
        throw err;
      }
    },
    async getAuditEvent(id, now) {
      const { rows } = await pool.query<AuditEventRow>({
        name: 'gh_audit_by_id',
        text: 'SELECT * FROM audit_events WHERE id = $1 AND expires_at > $2',
        values: [id, now],
      });
      return rows[0] === undefined ? null : toAuditEvent(rows[0]);
    },
    async listAuditEvents(q) {
      const { where, values } = whereOf(q);
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const n = values.length;
      const { rows } = await pool.query<AuditEventRow & { total: string }>({
        text: `SELECT count(*) OVER () AS total, * FROM audit_events WHERE ${where}
               ORDER BY at ${dir}, id ${dir} LIMIT $${n + 1} OFFSET $${n + 2}`,
        values: [...values, q.perPage, q.page * q.perPage],
      });
      // A page past the end has no row to carry the window count: count separately then.
      const total =
        rows[0] !== undefined
          ? Number(rows[0].total)
          : Number(
              (
                await pool.query<{ n: string }>({
                  text: `SELECT count(*) AS n FROM audit_events WHERE ${where}`,
                  values,
                })
              ).rows[0]?.n ?? 0,
            );
      return { items: rows.map(toAuditEvent), total };
    },
    async pruneAuditEvents(now) {
      const res = await pool.query('DELETE FROM audit_events WHERE expires_at <= $1', [now]);
      return res.rowCount ?? 0;
    },
    async addTokenUsage(increments) {
      if (increments.length === 0) return;
      // One statement: atomic, and one round trip for a whole flush.
      await pool.query({
        text: `INSERT INTO token_usage (bucket, client_id, audience, outcome, count, lifetime_sum, expires_at)
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                                    $6::bigint[], $7::bigint[])
               ON CONFLICT (bucket, client_id, audience, outcome) DO UPDATE SET
                 count = token_usage.count + excluded.count,
                 lifetime_sum = token_usage.lifetime_sum + excluded.lifetime_sum,
                 expires_at = greatest(token_usage.expires_at, excluded.expires_at)`,
        values: [
          increments.map((i) => i.bucket),
          increments.map((i) => i.clientId),
          increments.map((i) => i.audience),
          increments.map((i) => i.outcome),
          increments.map((i) => i.count),
          increments.map((i) => i.lifetimeSum),
          increments.map((i) => i.expiresAt),
        ],
      });
    },
    async listTokenUsage({ from, to, clientId }) {
      const { rows } = await pool.query<UsageRow>({
        text: `SELECT * FROM token_usage WHERE bucket >= $1 AND bucket < $2
                 AND ($3::text IS NULL OR client_id = $3)
               ORDER BY bucket, client_id, audience, outcome`,
        values: [from, to, clientId ?? null],
      });
      return rows.map((r) => ({
        bucket: Number(r.bucket),
        clientId: r.client_id,
        audience: r.audience,
        outcome: r.outcome,
        count: Number(r.count),
        lifetimeSum: Number(r.lifetime_sum),
      }));
    },
    async pruneTokenUsage(now) {
      const res = await pool.query('DELETE FROM token_usage WHERE expires_at <= $1', [now]);
      return res.rowCount ?? 0;
    },
  };
}

/** The WHERE clause ($n parameters) of an event query. */
function whereOf(q: AuditEventQuery): { where: string; values: unknown[] } {
  const values: unknown[] = [q.now];
  const parts = ['expires_at > $1'];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    parts.push(`${sql} $${values.length}`);
  };
  if (q.clientId !== undefined) add('client_id =', q.clientId);
  if (q.type !== undefined) add('type =', q.type);
  if (q.action !== undefined) add('action =', q.action);
  if (q.targetType !== undefined) add('target_type =', q.targetType);
  if (q.targetId !== undefined) add('target_id =', q.targetId);
  if (q.from !== undefined) add('at >=', q.from);
  if (q.to !== undefined) add('at <', q.to);
  return { where: parts.join(' AND '), values };
}

function toAuditEvent(r: AuditEventRow): AuditEventRecord {
  return {
    id: r.id,
    at: Number(r.at),
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
    details: r.details,
    expiresAt: Number(r.expires_at),
  };
}
