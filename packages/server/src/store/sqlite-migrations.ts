/**
 * Versioned schema migrations of the SQLite store. Append new migrations; never edit an applied one.
 * Each runs in its own IMMEDIATE transaction with its `schema_migrations` row, so a failed migration
 * leaves no trace and two processes opening the same file apply it once.
 */
import type { Database } from 'better-sqlite3';

/** One schema step. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema: resource servers, clients, client grants, signing keys',
    sql: `
      CREATE TABLE resource_servers (
        id             TEXT    PRIMARY KEY,
        identifier     TEXT    NOT NULL UNIQUE,
        name           TEXT    NOT NULL,
        scopes         TEXT    NOT NULL,           -- JSON ScopeDefinition[]
        signing_alg    TEXT    NOT NULL,
        token_lifetime INTEGER NOT NULL,
        routes         TEXT,                       -- JSON RouteRule[] or NULL
        is_system      INTEGER NOT NULL DEFAULT 0,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX resource_servers_by_created ON resource_servers (created_at, id);

      CREATE TABLE clients (
        client_id                  TEXT    PRIMARY KEY,
        name                       TEXT    NOT NULL,
        description                TEXT    NOT NULL,
        app_type                   TEXT    NOT NULL,
        token_endpoint_auth_method TEXT    NOT NULL,
        secrets                    TEXT    NOT NULL, -- JSON ClientSecretRecord[] (hashes only)
        credentials                TEXT    NOT NULL, -- JSON ClientCredentialRecord[] (public material only)
        metadata                   TEXT    NOT NULL, -- JSON Record<string, string>
        disabled                   INTEGER NOT NULL DEFAULT 0,
        created_at                 INTEGER NOT NULL,
        updated_at                 INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX clients_by_created ON clients (created_at, client_id);

      -- Grants are deleted explicitly (in the same transaction as their client or API); the foreign
      -- keys are a safety net that refuses orphans.
      CREATE TABLE client_grants (
        id             TEXT    PRIMARY KEY,
        client_id      TEXT    NOT NULL REFERENCES clients (client_id),
        audience       TEXT    NOT NULL REFERENCES resource_servers (identifier),
        scope          TEXT    NOT NULL,           -- JSON string[]
        token_lifetime INTEGER,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        UNIQUE (client_id, audience)
      ) STRICT;
      CREATE INDEX client_grants_by_audience ON client_grants (audience);
      CREATE INDEX client_grants_by_created ON client_grants (created_at, id);

      CREATE TABLE signing_keys (
        kid                   TEXT    PRIMARY KEY,
        alg                   TEXT    NOT NULL,
        public_jwk            TEXT    NOT NULL,    -- JSON public JWK
        encrypted_private_key TEXT    NOT NULL,    -- sealed by the KEK (keys/kek.ts)
        status                TEXT    NOT NULL,
        created_at            INTEGER NOT NULL,
        activated_at          INTEGER,
        retired_at            INTEGER,
        revoked_at            INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE status = 'current';
    `,
  },
  {
    version: 2,
    name: 'revocation: deny-list, cut-offs, revoked keys, change sequence, used assertion ids',
    sql: `
      -- One row per counter; 'revocations' numbers every deny-list, cut-off and revoked-key entry.
      -- SQLite has one writer at a time, so sequence order is commit order.
      CREATE TABLE counters (
        name  TEXT    PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      INSERT INTO counters (name, value) VALUES ('revocations', 0);

      CREATE TABLE revoked_tokens (
        audience   TEXT    NOT NULL,
        jti        TEXT    NOT NULL,
        client_id  TEXT,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER NOT NULL,
        seq        INTEGER NOT NULL UNIQUE,
        PRIMARY KEY (audience, jti)
      ) STRICT;
      CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

      -- audience '' stands for every audience (an API identifier is never empty).
      CREATE TABLE cutoffs (
        client_id TEXT    NOT NULL,
        audience  TEXT    NOT NULL,
        at        INTEGER NOT NULL,
        seq       INTEGER NOT NULL UNIQUE,
        PRIMARY KEY (client_id, audience)
      ) STRICT;
      CREATE INDEX cutoffs_by_at ON cutoffs (at);

      CREATE TABLE revoked_keys (
        kid        TEXT    PRIMARY KEY,
        revoked_at INTEGER NOT NULL,
        seq        INTEGER NOT NULL UNIQUE
      ) STRICT;

      CREATE TABLE used_assertions (
        client_id  TEXT    NOT NULL,
        jti        TEXT    NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, jti)
      ) STRICT;
      CREATE INDEX used_assertions_by_expiry ON used_assertions (expires_at);
    `,
  },
];

/** Raised when the file was written by a newer gatehouse whose schema this one does not know. */
export class SqliteSchemaTooNewError extends Error {
  readonly code = 'ERR_SQLITE_SCHEMA_TOO_NEW';
  constructor(found: number, known: number) {
    super(
      `the SQLite store has schema version ${found}, newer than this gatehouse knows (${known}); upgrade gatehouse`,
    );
    this.name = 'SqliteSchemaTooNewError';
  }
}

/** Applies pending migrations; idempotent. Returns the versions it applied. */
export function migrateSqlite(
  db: Database,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const currentVersion = db.prepare<[], { v: number | null }>(
    'SELECT max(version) AS v FROM schema_migrations',
  );
  const found = currentVersion.get()?.v ?? 0;
  if (found > latest) throw new SqliteSchemaTooNewError(found, latest);

  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= found) continue;
    const apply = db.transaction(() => {
      // Re-checked inside the write lock: another process may have applied it meanwhile.
      if (isApplied.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    });
    apply.immediate();
  }
  return applied;
}
