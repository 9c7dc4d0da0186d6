/**
 * The audit-log and token-usage part of the storage port. Every back-end implements
 * `AuditLogStore` in its own `*-audit-log.ts` file and passes `runAuditLogContract()`.
 *
 * Audit events are append-only: written once, read, and pruned after their `expiresAt`
 * (retention). Token usage rows are counters keyed by (bucket, client, audience, outcome) that
 * several server instances add to; an add is atomic per row, so concurrent flushes sum.
 */
import type { Page, PageQuery } from './store.ts';

/**
 * Auth0 log type codes gatehouse writes: management API success/failure, console sign-in, sign-in
 * failure, sign-out, and a federated client authentication that succeeded (`seccft`) or failed (`feccft`).
 */
export type AuditEventType = 'sapi' | 'fapi' | 's' | 'f' | 'slo' | 'seccft' | 'feccft';

/** One administrative change (or attempt), as stored. Holds no secret, hash or private key. */
export interface AuditEventRecord {
  /** ULID: its first 10 characters encode `at`, so id order is time order. */
  id: string;
  /** Epoch ms. */
  at: number;
  type: AuditEventType;
  /** e.g. `client.secret_rotated`. */
  action: string;
  outcome: 'success' | 'failure';
  /** Who: the Management API client (or the console session's client); null when unknown. */
  clientId: string | null;
  clientName: string | null;
  ip: string | null;
  userAgent: string | null;
  targetType: string | null;
  targetId: string | null;
  description: string;
  /** JSON object: request, response, before, after, error. */
  details: Record<string, unknown>;
  /** Epoch ms after which the event is no longer answered and may be pruned (retention). */
  expiresAt: number;
}

/** Filters of `listAuditEvents`; every given filter must match (AND). */
export interface AuditEventQuery extends PageQuery {
  /** Events past their `expiresAt` at this time are left out. */
  now: number;
  /** `desc` (newest first, default) or `asc`; ties by id. */
  order?: 'asc' | 'desc';
  clientId?: string;
  type?: AuditEventType;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive lower bound of `at` (ms). */
  from?: number;
  /** Exclusive upper bound of `at` (ms). */
  to?: number;
  /**
   * False: the answer's `total` may be a lower bound (a back-end may stop reading once the page
   * is full). True (default): `total` is exact.
   */
  countTotal?: boolean;
}

/** One counter row of token-endpoint usage. */
export interface TokenUsageRow {
  /** Start of the hour (epoch ms, a multiple of 3,600,000). */
  bucket: number;
  /** Authenticated client, or '' when the request failed before a client was authenticated. */
  clientId: string;
  /** The API the token was for; '' for failures. */
  audience: string;
  /** `issued`, or the OAuth error code of a failure. */
  outcome: string;
  count: number;
  /** Sum of the issued tokens' lifetimes in seconds (0 for failures): average = sum / count. */
  lifetimeSum: number;
}

/** An amount to add to a usage row, created when absent; `expiresAt` (ms) is its retention. */
export interface TokenUsageIncrement extends TokenUsageRow {
  expiresAt: number;
}

/** Length of a usage bucket: one hour. */
export const USAGE_BUCKET_MS = 3_600_000;

/** Storage of the audit log and of token-endpoint usage counters. */
export interface AuditLogStore {
  /** Stores a new event; StoreConflictError when its id exists. */
  appendAuditEvent(event: AuditEventRecord): Promise<void>;
  /** The event, or null when missing or past its `expiresAt` at `now`. */
  getAuditEvent(id: string, now: number): Promise<AuditEventRecord | null>;
  /** Matching live events, ordered by `at` then id. */
  listAuditEvents(q: AuditEventQuery): Promise<Page<AuditEventRecord>>;
  /** Deletes events whose `expiresAt` <= now; returns how many (DynamoDB also expires them by TTL). */
  pruneAuditEvents(now: number): Promise<number>;
  /** Adds each increment to its row atomically (created when absent); concurrent adds sum. */
  addTokenUsage(increments: readonly TokenUsageIncrement[]): Promise<void>;
  /** Rows with `from <= bucket < to`, of one client when given, ordered by bucket. */
  listTokenUsage(q: { from: number; to: number; clientId?: string }): Promise<TokenUsageRow[]>;
  /** Deletes usage rows whose `expiresAt` <= now; returns how many. */
  pruneTokenUsage(now: number): Promise<number>;
}

/** Every `AuditEventType`. */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'sapi',
  'fapi',
  's',
  'f',
  'slo',
  'seccft',
  'feccft',
];

/** Reads a stored type code back; an unknown one (a newer writer) reads as `sapi`/`fapi` by outcome. */
export function toAuditEventType(value: string, outcome: string): AuditEventType {
  const known = AUDIT_EVENT_TYPES.find((t) => t === value);
  return known ?? (outcome === 'failure' ? 'fapi' : 'sapi');
}
