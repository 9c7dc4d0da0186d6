/**
 * The tables of the SQL back-ends (SQLite and PostgreSQL share names and columns) as `StoreTransfer`
 * sees them: which table holds each kind, its key (for keyset paging), its columns with their
 * PostgreSQL types, and how a record maps to a neutral row (JSON columns as values, booleans as
 * booleans, times as numbers) and back. Each driver encodes the neutral row its own way.
 */
import type { TransferKind, TransferRecords } from './store-transfer.ts';

/** A column: its name and PostgreSQL type (SQLite stores jsonb as TEXT and boolean as INTEGER). */
export interface SqlTransferColumn {
  name: string;
  type: 'text' | 'bigint' | 'integer' | 'boolean' | 'jsonb';
}

/** One kind's table. */
export interface SqlTransferTable<K extends TransferKind> {
  table: string;
  /** Primary key columns, the keyset order of an export. */
  key: readonly string[];
  columns: readonly SqlTransferColumn[];
  toRow(record: TransferRecords[K]): Record<string, unknown>;
  fromRow(row: Record<string, unknown>): TransferRecords[K];
}

const cols = (spec: Record<string, SqlTransferColumn['type']>): SqlTransferColumn[] =>
  Object.entries(spec).map(([name, type]) => ({ name, type }));

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Every kind's table, in import order. */
export const SQL_TRANSFER_TABLES: { [K in TransferKind]: SqlTransferTable<K> } = {
  resourceServer: {
    table: 'resource_servers',
    key: ['id'],
    columns: cols({
      id: 'text',
      identifier: 'text',
      name: 'text',
      scopes: 'jsonb',
      signing_alg: 'text',
      token_lifetime: 'integer',
      routes: 'jsonb',
      is_system: 'boolean',
      created_at: 'bigint',
      updated_at: 'bigint',
    }),
    toRow: (r) => ({
      id: r.id,
      identifier: r.identifier,
      name: r.name,
      scopes: r.scopes,
      signing_alg: r.signingAlg,
      token_lifetime: r.tokenLifetime,
      routes: r.routes,
      is_system: r.isSystem,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    }),
    fromRow: (r) =>
      ({
        id: r.id,
        identifier: r.identifier,
        name: r.name,
        scopes: r.scopes,
        signingAlg: r.signing_alg,
        tokenLifetime: num(r.token_lifetime),
        routes: r.routes ?? null,
        isSystem: r.is_system,
        createdAt: num(r.created_at),
        updatedAt: num(r.updated_at),
      }) as TransferRecords['resourceServer'],
  },
  client: {
    table: 'clients',
    key: ['client_id'],
    columns: cols({
      client_id: 'text',
      name: 'text',
      description: 'text',
      app_type: 'text',
      token_endpoint_auth_method: 'text',
      secrets: 'jsonb',
      credentials: 'jsonb',
      metadata: 'jsonb',
      disabled: 'boolean',
      created_at: 'bigint',
      updated_at: 'bigint',
    }),
    toRow: (c) => ({
      client_id: c.clientId,
      name: c.name,
      description: c.description,
      app_type: c.appType,
      token_endpoint_auth_method: c.tokenEndpointAuthMethod,
      secrets: c.secrets,
      credentials: c.credentials,
      metadata: c.metadata,
      disabled: c.disabled,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
    }),
    fromRow: (r) =>
      ({
        clientId: r.client_id,
        name: r.name,
        description: r.description,
        appType: r.app_type,
        tokenEndpointAuthMethod: r.token_endpoint_auth_method,
        secrets: r.secrets,
        credentials: r.credentials,
        metadata: r.metadata,
        disabled: r.disabled,
        createdAt: num(r.created_at),
        updatedAt: num(r.updated_at),
      }) as TransferRecords['client'],
  },
  clientGrant: {
    table: 'client_grants',
    key: ['id'],
    columns: cols({
      id: 'text',
      client_id: 'text',
      audience: 'text',
      scope: 'jsonb',
      token_lifetime: 'integer',
      created_at: 'bigint',
      updated_at: 'bigint',
    }),
    toRow: (g) => ({
      id: g.id,
      client_id: g.clientId,
      audience: g.audience,
      scope: g.scope,
      token_lifetime: g.tokenLifetime,
      created_at: g.createdAt,
      updated_at: g.updatedAt,
    }),
    fromRow: (r) =>
      ({
        id: r.id,
        clientId: r.client_id,
        audience: r.audience,
        scope: r.scope,
        tokenLifetime: numOrNull(r.token_lifetime),
        createdAt: num(r.created_at),
        updatedAt: num(r.updated_at),
      }) as TransferRecords['clientGrant'],
  },
  signingKey: {
    table: 'signing_keys',
    key: ['kid'],
    columns: cols({
      kid: 'text',
      alg: 'text',
      public_jwk: 'jsonb',
      encrypted_private_key: 'text',
      status: 'text',
      created_at: 'bigint',
      activated_at: 'bigint',
      retired_at: 'bigint',
      revoked_at: 'bigint',
    }),
    toRow: (k) => ({
      kid: k.kid,
      alg: k.alg,
      public_jwk: k.publicJwk,
      encrypted_private_key: k.encryptedPrivateKey,
      status: k.status,
      created_at: k.createdAt,
      activated_at: k.activatedAt,
      retired_at: k.retiredAt,
      revoked_at: k.revokedAt,
    }),
    fromRow: (r) =>
      ({
        kid: r.kid,
        alg: r.alg,
        publicJwk: r.public_jwk,
        encryptedPrivateKey: r.encrypted_private_key,
        status: r.status,
        createdAt: num(r.created_at),
        activatedAt: numOrNull(r.activated_at),
        retiredAt: numOrNull(r.retired_at),
        revokedAt: numOrNull(r.revoked_at),
      }) as TransferRecords['signingKey'],
  },
  revokedToken: {
    table: 'revoked_tokens',
    key: ['audience', 'jti'],
    columns: cols({
      audience: 'text',
      jti: 'text',
      client_id: 'text',
      expires_at: 'bigint',
      revoked_at: 'bigint',
      seq: 'bigint',
    }),
    toRow: (t) => ({
      audience: t.audience,
      jti: t.jti,
      client_id: t.clientId,
      expires_at: t.expiresAt,
      revoked_at: t.revokedAt,
      seq: t.seq,
    }),
    fromRow: (r) => ({
      audience: String(r.audience),
      jti: String(r.jti),
      clientId: typeof r.client_id === 'string' ? r.client_id : null,
      expiresAt: num(r.expires_at),
      revokedAt: num(r.revoked_at),
      seq: num(r.seq),
    }),
  },
  cutoff: {
    table: 'cutoffs',
    key: ['client_id', 'audience'],
    columns: cols({ client_id: 'text', audience: 'text', at: 'bigint', seq: 'bigint' }),
    // '' stands for every audience in the SQL tables.
    toRow: (c) => ({ client_id: c.clientId, audience: c.audience ?? '', at: c.at, seq: c.seq }),
    fromRow: (r) => ({
      clientId: String(r.client_id),
      audience: r.audience === '' ? null : String(r.audience),
      at: num(r.at),
      seq: num(r.seq),
    }),
  },
  revokedKey: {
    table: 'revoked_keys',
    key: ['kid'],
    columns: cols({ kid: 'text', revoked_at: 'bigint', seq: 'bigint' }),
    toRow: (k) => ({ kid: k.kid, revoked_at: k.revokedAt, seq: k.seq }),
    fromRow: (r) => ({ kid: String(r.kid), revokedAt: num(r.revoked_at), seq: num(r.seq) }),
  },
  usedAssertion: {
    table: 'used_assertions',
    key: ['client_id', 'jti'],
    columns: cols({ client_id: 'text', jti: 'text', expires_at: 'bigint' }),
    toRow: (a) => ({ client_id: a.clientId, jti: a.jti, expires_at: a.expiresAt }),
    fromRow: (r) => ({ clientId: String(r.client_id), jti: String(r.jti), expiresAt: num(r.expires_at) }),
  },
};

/**
 * Tables `eraseAll` empties, children first (grants reference clients and APIs). The audit log and
 * token usage (audit-log.ts) go too: an emptied store is a fresh installation.
 */
export const SQL_ERASE_ORDER: readonly string[] = [
  'client_grants',
  'clients',
  'resource_servers',
  'signing_keys',
  'revoked_tokens',
  'cutoffs',
  'revoked_keys',
  'used_assertions',
  'audit_events',
  'token_usage',
];
