/**
 * Versioned schema migrations of the PostgreSQL store. Append new migrations; never edit an applied
 * one.
 *
 * Each migration runs in its own transaction together with its `schema_migrations` row, after
 * taking a transaction-scoped advisory lock: two instances starting at once against a fresh
 * database queue on the lock, and the second finds the work done (PostgreSQL DDL is
 * transactional, so a failed migration leaves no trace). A transaction-scoped lock, unlike a
 * session lock, is released by COMMIT or ROLLBACK and so also works behind a pooler in
 * transaction mode.
 * @see https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
 */
import type { Pool, PoolClient } from 'pg';

/** One schema step. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Key of the advisory lock every gatehouse instance takes while migrating (ASCII "gatehous").
 * It is per database, so installations in different databases on one server do not wait on each other.
 */
export const MIGRATION_LOCK_KEY = '7449363237540164979';

/** Every migration, in order. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema: resource servers, clients, client grants, signing keys',
    // Ids compare with COLLATE "C" (byte order) so that paging by (created_at, id) orders ties the
    // same way on every server locale and on every back-end. Times are epoch milliseconds.
    sql: `
      CREATE TABLE resource_servers (
        id             text COLLATE "C" PRIMARY KEY,
        identifier     text COLLATE "C" NOT NULL CONSTRAINT resource_servers_identifier_key UNIQUE,
        name           text    NOT NULL,
        scopes         jsonb   NOT NULL,          -- ScopeDefinition[]
        signing_alg    text    NOT NULL,
        token_lifetime integer NOT NULL,
        routes         jsonb,                     -- RouteRule[] or NULL
        is_system      boolean NOT NULL DEFAULT false,
        created_at     bigint  NOT NULL,
        updated_at     bigint  NOT NULL
      );
      CREATE INDEX resource_servers_by_created ON resource_servers (created_at, id);

      CREATE TABLE clients (
        client_id                  text COLLATE "C" PRIMARY KEY,
        name                       text    NOT NULL,
        description                text    NOT NULL,
        app_type                   text    NOT NULL,
        token_endpoint_auth_method text    NOT NULL,
        secrets                    jsonb   NOT NULL, -- ClientSecretRecord[] (hashes only)
        credentials                jsonb   NOT NULL, -- ClientCredentialRecord[] (public material only)
        metadata                   jsonb   NOT NULL, -- Record<string, string>
        disabled                   boolean NOT NULL DEFAULT false,
        created_at                 bigint  NOT NULL,
        updated_at                 bigint  NOT NULL
      );
      CREATE INDEX clients_by_created ON clients (created_at, client_id);

      -- A client's grants go with it (ON DELETE CASCADE, one statement, so one transaction). An
      -- API's grants do not: deleting an API that still has grants is refused unless forced, and the
      -- foreign key refuses it too should a grant slip in concurrently.
      CREATE TABLE client_grants (
        id             text COLLATE "C" PRIMARY KEY,
        client_id      text COLLATE "C" NOT NULL
          CONSTRAINT client_grants_client_fkey REFERENCES clients (client_id) ON DELETE CASCADE,
        audience       text COLLATE "C" NOT NULL
          CONSTRAINT client_grants_audience_fkey REFERENCES resource_servers (identifier),
        scope          jsonb   NOT NULL,          -- string[]
        token_lifetime integer,
        created_at     bigint  NOT NULL,
        updated_at     bigint  NOT NULL,
        CONSTRAINT client_grants_client_audience_key UNIQUE (client_id, audience)
      );
      CREATE INDEX client_grants_by_audience ON client_grants (audience, created_at, id);
      CREATE INDEX client_grants_by_created ON client_grants (created_at, id);

      CREATE TABLE signing_keys (
        kid                   text COLLATE "C" PRIMARY KEY,
        alg                   text   NOT NULL,
        public_jwk            jsonb  NOT NULL,    -- public JWK
        encrypted_private_key text   NOT NULL,    -- sealed by the KEK (keys/kek.ts)
        status                text   NOT NULL,
        created_at            bigint NOT NULL,
        activated_at          bigint,
        retired_at            bigint,
        revoked_at            bigint
      );
      -- The one-current-key-per-alg rule, enforced by the database whatever the callers do.
      CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE status = 'current';
    `,
  },
  {
    version: 2,
    name: 'revocation: deny-list, cut-offs, revoked keys, change sequence, used assertion ids',
    // Every revocation write takes the next value of the 'revocations' counter with an UPDATE in its
    // own transaction: the row lock it holds until COMMIT makes sequence order commit order, which a
    // SEQUENCE would not (a reader could see 7 committed before 6 and skip 6 for ever).
    sql: `
      CREATE TABLE counters (
        name  text COLLATE "C" PRIMARY KEY,
        value bigint NOT NULL
      );
      INSERT INTO counters (name, value) VALUES ('revocations', 0);

      CREATE TABLE revoked_tokens (
        audience   text COLLATE "C" NOT NULL,
        jti        text COLLATE "C" NOT NULL,
        client_id  text COLLATE "C",
        expires_at bigint NOT NULL,
        revoked_at bigint NOT NULL,
        seq        bigint NOT NULL CONSTRAINT revoked_tokens_seq_key UNIQUE,
        CONSTRAINT revoked_tokens_pkey PRIMARY KEY (audience, jti)
      );
      CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

      -- audience '' stands for every audience (an API identifier is never empty).
      CREATE TABLE cutoffs (
        client_id text COLLATE "C" NOT NULL,
        audience  text COLLATE "C" NOT NULL,
        at        bigint NOT NULL,
        seq       bigint NOT NULL CONSTRAINT cutoffs_seq_key UNIQUE,
        CONSTRAINT cutoffs_pkey PRIMARY KEY (client_id, audience)
      );
      CREATE INDEX cutoffs_by_at ON cutoffs (at);

      CREATE TABLE revoked_keys (
        kid        text COLLATE "C" PRIMARY KEY,
        revoked_at bigint NOT NULL,
        seq        bigint NOT NULL CONSTRAINT revoked_keys_seq_key UNIQUE
      );

      CREATE TABLE used_assertions (
        client_id  text COLLATE "C" NOT NULL,
        jti        text COLLATE "C" NOT NULL,
        expires_at bigint NOT NULL,
        CONSTRAINT used_assertions_pkey PRIMARY KEY (client_id, jti)
      );
      CREATE INDEX used_assertions_by_expiry ON used_assertions (expires_at);
    `,
  },
];

/** Raised when the database was migrated by a newer gatehouse whose schema this one does not know. */
export class PostgresSchemaTooNewError extends Error {
  readonly code = 'ERR_POSTGRES_SCHEMA_TOO_NEW';
  constructor(found: number, known: number) {
    super(
      `the PostgreSQL store has schema version ${found}, newer than this gatehouse knows (${known}); upgrade gatehouse`,
    );
    this.name = 'PostgresSchemaTooNewError';
  }
}

/** Applies pending migrations, each in its own transaction under the advisory lock; idempotent. Returns the versions it applied. */
export async function migratePostgres(
  pool: Pool,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const latest = ordered.at(-1)?.version ?? 0;
  const applied: number[] = [];
  const conn = await pool.connect();
  let failure: Error | undefined;
  try {
    for (;;) {
      const version = await applyNext(conn, ordered, latest);
      if (version === null) return applied;
      applied.push(version);
    }
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A connection that failed mid-transaction is discarded rather than handed to the next caller.
    conn.release(failure);
  }
}

/** One transaction: lock, find the first pending migration, apply and record it. Null when none is pending. */
async function applyNext(
  conn: PoolClient,
  ordered: readonly PostgresMigration[],
  latest: number,
): Promise<number | null> {
  await conn.query('BEGIN');
  try {
    await conn.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    // Inside the lock: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin.
    await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text    NOT NULL,
      applied_at bigint  NOT NULL
    )`);
    const { rows } = await conn.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const found = Math.max(0, ...done);
    if (found > latest) throw new PostgresSchemaTooNewError(found, latest);
    const next = ordered.find((m) => !done.has(m.version));
    if (!next) {
      await conn.query('COMMIT');
      return null;
    }
    await conn.query(next.sql);
    await conn.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      next.version,
      next.name,
      Date.now(),
    ]);
    await conn.query('COMMIT');
    return next.version;
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
