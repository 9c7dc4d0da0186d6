/**
 * The storage port of the authorization server. Every back-end (SQLite now; PostgreSQL and
 * DynamoDB) implements `Store` and passes `runStoreContract()` in `store-contract.ts`.
 *
 * Rules every back-end keeps:
 * - All methods are async, even where the back-end is synchronous (SQLite), so callers never
 *   depend on a back-end's timing.
 * - Records are returned as fresh plain objects; callers may mutate them freely.
 * - Times are epoch milliseconds (`number`).
 * - A failed write leaves the store exactly as it was (transactions where several rows change).
 * - Conflicts raise `StoreConflictError`, missing records on update/delete raise
 *   `StoreNotFoundError`; nothing else is thrown for expected conditions.
 */
import type { AuditLogStore } from './audit-log.ts';
import type { StoreTransfer } from './store-transfer.ts';

/** A scope an API defines, Auth0 shape. */
export interface ScopeDefinition {
  value: string;
  description: string;
}

/** One entry of an API's route policy (DESIGN.md "Route policy"). */
export interface RouteRule {
  method: string;
  path: string;
  scopes: string[];
}

export type SigningAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** An API (Auth0: resource server). `identifier` is the audience of its tokens. */
export interface ResourceServerRecord {
  id: string;
  identifier: string;
  name: string;
  scopes: ScopeDefinition[];
  signingAlg: SigningAlg;
  /** Seconds, 1..86400. */
  tokenLifetime: number;
  /** Live route policy; null when the API carries none. */
  routes: RouteRule[] | null;
  /** The Management API itself: cannot be deleted or renamed. */
  isSystem: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A stored client secret: only its hash. A secret past `expiresAt` no longer authenticates. */
export interface ClientSecretRecord {
  /** Identifies the secret without revealing it (e.g. first bytes of the hash). */
  id: string;
  /** Hex HMAC-SHA-256 of the secret (see keys/client-secret.ts). */
  hash: string;
  createdAt: number;
  /** null: valid until rotated away. */
  expiresAt: number | null;
}

/** A public-key credential for private_key_jwt, or a federated credential (later issues). */
export interface ClientCredentialRecord {
  id: string;
  credentialType: 'public_key' | 'federated';
  name: string;
  /** public_key: PEM or a jwks_uri; federated: issuer/subject/audience. */
  pem?: string;
  alg?: string;
  jwksUri?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  createdAt: number;
}

export interface ClientRecord {
  clientId: string;
  name: string;
  description: string;
  appType: 'non_interactive';
  /** Management API `token_endpoint_auth_method`. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  secrets: ClientSecretRecord[];
  credentials: ClientCredentialRecord[];
  /** Free-form string map, Auth0's `client_metadata`. */
  metadata: Record<string, string>;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What a client may ask for at one API (Auth0: client grant). */
export interface ClientGrantRecord {
  id: string;
  clientId: string;
  /** The resource server's identifier. */
  audience: string;
  scope: string[];
  /** Overrides the API's token lifetime for this client; null to inherit. */
  tokenLifetime: number | null;
  createdAt: number;
  updatedAt: number;
}

export type SigningKeyStatus = 'next' | 'current' | 'previous' | 'revoked';

export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  /** Public JWK (kty, n/e or crv/x/y, no private members). */
  publicJwk: Record<string, string>;
  /** The PKCS#8 private key sealed by the key-encryption key (keys/kek.ts). Never leaves the server. */
  encryptedPrivateKey: string;
  status: SigningKeyStatus;
  createdAt: number;
  /** When it became `current`. */
  activatedAt: number | null;
  /** When it stopped signing. */
  retiredAt: number | null;
  revokedAt: number | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface PageQuery {
  /** From 0. */
  page: number;
  perPage: number;
  /**
   * False: the caller does not need `total`, and a back-end for which counting is costly (DynamoDB
   * reads every index key to count) may answer a lower bound instead. Default true: exact.
   */
  includeTotals?: boolean;
}

export interface ClientGrantQuery extends PageQuery {
  clientId?: string;
  audience?: string;
}

export type NewResourceServer = Omit<ResourceServerRecord, 'createdAt' | 'updatedAt'>;
export type ResourceServerPatch = Partial<
  Omit<ResourceServerRecord, 'id' | 'identifier' | 'isSystem' | 'createdAt'>
>;
export type NewClient = Omit<ClientRecord, 'createdAt' | 'updatedAt'>;
export type ClientPatch = Partial<Omit<ClientRecord, 'clientId' | 'createdAt'>>;
export type NewClientGrant = Omit<ClientGrantRecord, 'createdAt' | 'updatedAt'>;
export type ClientGrantPatch = Partial<Pick<ClientGrantRecord, 'scope' | 'tokenLifetime'>>;

export interface ResourceServerStore {
  createResourceServer(rs: NewResourceServer): Promise<ResourceServerRecord>;
  getResourceServer(id: string): Promise<ResourceServerRecord | null>;
  getResourceServerByIdentifier(identifier: string): Promise<ResourceServerRecord | null>;
  /** Ordered by createdAt, then id (stable paging). */
  listResourceServers(q: PageQuery): Promise<Page<ResourceServerRecord>>;
  updateResourceServer(id: string, patch: ResourceServerPatch): Promise<ResourceServerRecord>;
  /** Without `force`, refuses (StoreConflictError) while grants exist for it; with it, deletes them too (each with its cut-off). */
  deleteResourceServer(id: string, opts?: { force?: boolean }): Promise<void>;
}

/** The fields `ClientStore.updateClient` changes (what a `ClientPatch` may hold). */
export const CLIENT_PATCH_FIELDS = [
  'name',
  'description',
  'appType',
  'tokenEndpointAuthMethod',
  'secrets',
  'credentials',
  'metadata',
  'disabled',
] as const satisfies readonly (keyof ClientPatch)[];

/** The optimistic-concurrency condition of `ClientStore.updateClient`. */
export interface ClientUpdateCondition {
  /** The `updatedAt` the client was read with. */
  ifUpdatedAt?: number | undefined;
}

/** The `updatedAt` an update writes: now, and past the one it replaces (two writes in one ms still differ). */
export function nextUpdatedAt(previous: number): number {
  return Math.max(Date.now(), previous + 1);
}

export interface ClientStore {
  createClient(c: NewClient): Promise<ClientRecord>;
  getClient(clientId: string): Promise<ClientRecord | null>;
  listClients(q: PageQuery): Promise<Page<ClientRecord>>;
  /**
   * Disabling a client (`disabled` false -> true) sets its every-audience cut-off in the same
   * transaction. With `ifUpdatedAt`, the update applies only while the client's `updatedAt` is still
   * that value (StoreStaleError otherwise, nothing written): a read-modify-write of its secrets or
   * credentials cannot lose a concurrent one. A conditional update writes an `updatedAt` past the one it
   * read (`nextUpdatedAt`), so two writes within one millisecond still differ.
   */
  updateClient(
    clientId: string,
    patch: ClientPatch,
    condition?: ClientUpdateCondition,
  ): Promise<ClientRecord>;
  /** Deletes the client and its grants, and sets its every-audience cut-off, in one transaction. */
  deleteClient(clientId: string): Promise<void>;
}

export interface ClientGrantStore {
  /** StoreConflictError when the client already has a grant for that audience, StoreNotFoundError when client or API is missing. */
  createClientGrant(g: NewClientGrant): Promise<ClientGrantRecord>;
  getClientGrant(id: string): Promise<ClientGrantRecord | null>;
  findClientGrant(clientId: string, audience: string): Promise<ClientGrantRecord | null>;
  listClientGrants(q: ClientGrantQuery): Promise<Page<ClientGrantRecord>>;
  /** A new `scope` lacking any scope the grant had sets the (client, audience) cut-off in the same transaction. */
  updateClientGrant(id: string, patch: ClientGrantPatch): Promise<ClientGrantRecord>;
  /** Deletes the grant and sets the (client, audience) cut-off in one transaction. */
  deleteClientGrant(id: string): Promise<void>;
}

/**
 * Signing keys. At most one key per `alg` is `current`: a create or update that would make a second
 * one raises StoreConflictError (so two instances racing to create a first key agree on one), and
 * `activateSigningKey` swaps the current key atomically.
 */
export interface SigningKeyStore {
  /** StoreConflictError on a duplicate kid or a second `current` key for the alg. */
  createSigningKey(k: SigningKeyRecord): Promise<SigningKeyRecord>;
  getSigningKey(kid: string): Promise<SigningKeyRecord | null>;
  /** Every key, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  updateSigningKey(
    kid: string,
    patch: Partial<Omit<SigningKeyRecord, 'kid' | 'alg' | 'publicJwk' | 'encryptedPrivateKey'>>,
  ): Promise<SigningKeyRecord>;
  /**
   * In one transaction: the alg's current key (if another) becomes `previous` (retiredAt = now) and
   * `kid` becomes `current` (activatedAt = now). StoreNotFoundError when missing, StoreConflictError
   * when revoked. Returns the activated key.
   */
  activateSigningKey(kid: string, now: number): Promise<SigningKeyRecord>;
}

/** A token on the deny-list by `jti`: RFC 7009 revocation, or an administrator's `{aud, jti}`. */
export interface RevokedTokenRecord {
  jti: string;
  /** The token's `aud`. */
  audience: string;
  /** The token's client; null when an administrator listed it by `{aud, jti}` alone. */
  clientId: string | null;
  /** The token's `exp` (ms): the entry is dropped after it. */
  expiresAt: number;
  revokedAt: number;
  /** Position in the change sequence (the revocation feed's cursor). */
  seq: number;
}

/** A cut-off: every token of `clientId` (for `audience`, or every audience when null) issued before `at` is invalid. */
export interface CutoffRecord {
  clientId: string;
  audience: string | null;
  /**
   * Epoch ms, the first millisecond after the change that set it: a token issued in the very
   * millisecond of the change (which may have read the state before it) counts as issued before.
   * Compared with the token's issue time to the millisecond (docs/feeds.md).
   */
  at: number;
  seq: number;
}

/** A signing key revoked in an emergency: its tokens fail everywhere at once. */
export interface RevokedKeyRecord {
  kid: string;
  revokedAt: number;
  seq: number;
}

/** What the revocation feed serves: live entries and where the change sequence stands. */
export interface RevocationChanges {
  /** Highest change sequence handed out so far (0 before the first change); never goes back. */
  latestSeq: number;
  tokens: RevokedTokenRecord[];
  cutoffs: CutoffRecord[];
  keys: RevokedKeyRecord[];
}

export type NewRevokedToken = Omit<RevokedTokenRecord, 'revokedAt' | 'seq'>;

/**
 * How long a cut-off or a revoked key stays listed after its time: the longest token lifetime
 * (86400 s). Every token it could affect has expired by then.
 */
export const REVOCATION_RETENTION_MS = 86_400_000;

/**
 * The deny-list, cut-offs and revoked keys, each entry numbered in one monotonic change sequence
 * that commits in order (a reader that has seen `seq` n never later finds a new entry below n).
 * Cut-offs are also set by the other ports' writes, in the same transaction as the change:
 * `updateClientGrant` removing any scope and `deleteClientGrant` (client + audience),
 * `deleteResourceServer` with force (each deleted grant), `updateClient` disabling a client and
 * `deleteClient` (client, every audience); `updateSigningKey`/`createSigningKey` storing a key as
 * `revoked` adds its revoked-key entry.
 */
export interface RevocationStore {
  /** Adds a token to the deny-list; one already listed (same audience and jti) is returned unchanged. */
  revokeToken(t: NewRevokedToken): Promise<RevokedTokenRecord>;
  /** The deny-list entry for (audience, jti), or null. Expired entries may still be answered until pruned. */
  getRevokedToken(audience: string, jti: string): Promise<RevokedTokenRecord | null>;
  /** Live deny-list entries (expiresAt > now), of one audience when given, in change order, at most `limit`. */
  listRevokedTokens(q: { audience?: string; now: number; limit: number }): Promise<RevokedTokenRecord[]>;
  /**
   * Sets a cut-off for the client (at one audience, or every audience when null) at the current
   * time plus 1 ms; an existing one moves forward (never back) and takes a new seq.
   */
  createCutoff(clientId: string, audience: string | null): Promise<CutoffRecord>;
  /** The cut-offs that apply to a token of `clientId` for `audience`: that audience's and the every-audience one. */
  findCutoffs(clientId: string, audience: string): Promise<CutoffRecord[]>;
  /**
   * Live entries (tokens before their expiry, cut-offs and keys within REVOCATION_RETENTION_MS) with
   * seq > `sinceSeq`, or all of them without it, each list in change order.
   */
  listRevocationChanges(q: { sinceSeq?: number; now: number }): Promise<RevocationChanges>;
  /**
   * Deletes entries that are no longer live; returns how many. Used assertion ids past their expiry
   * go here too, or by the back-end's own expiry (DynamoDB TTL), and are not counted then.
   */
  pruneRevocations(now: number): Promise<number>;
}

/** Used `private_key_jwt` assertion ids (RFC 7523 section 3, item 7). */
export interface AssertionReplayStore {
  /**
   * Records the assertion id `jti` of `clientId` until `expiresAt` (ms). True when it was new (or
   * its earlier record had expired), false when it is a replay; of concurrent calls for one id,
   * exactly one answers true.
   * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
   */
  recordAssertionJti(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

export interface Store
  extends ResourceServerStore,
    ClientStore,
    ClientGrantStore,
    SigningKeyStore,
    RevocationStore,
    AssertionReplayStore,
    AuditLogStore,
    StoreTransfer {
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  /** Cheap liveness check of the back-end. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * A value that changes whenever a write commits, by this instance or any other sharing the
   * back-end; synchronous and cheap (the token endpoint reads it per request to know its cached
   * reads are current: token/token-read-cache.ts). Back-ends that cannot answer it without a round
   * trip leave it out, and their reads are not cached.
   */
  changeStamp?(): string;
}

/** Raised when a write conflicts with existing state (duplicate, grants still present, version mismatch). */
export class StoreConflictError extends Error {
  readonly code = 'ERR_STORE_CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/** Raised when a conditional update finds the record changed since it was read (see `ClientUpdateCondition`). */
export class StoreStaleError extends StoreConflictError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreStaleError';
  }
}

/** Raised when an update or delete names a record that does not exist. */
export class StoreNotFoundError extends Error {
  readonly code = 'ERR_STORE_NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotFoundError';
  }
}
