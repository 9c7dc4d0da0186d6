/**
 * Writes audit events to the store: who (the Management API client or the console session's
 * client, with its name), what (action, target), before/after without secrets (redact-secrets.ts),
 * when, from where, and the outcome. A failed write is logged, never thrown: the change it
 * describes has already happened and its answer must still reach the caller.
 */
import type { Context } from 'hono';
import type { Logger } from '../observability/logger.ts';
import type { AuditEventRecord } from '../store/audit-log.ts';
import type { Store } from '../store/store.ts';
import { createUlid } from '../token/ulid.ts';
import { AUDIT_ACTIONS, type AuditAction } from './audit-actions.ts';
import { REDACTED, redactPath, redactSecrets, toAuditState } from './redact-secrets.ts';
import { readRequestOrigin } from './request-origin.ts';

/** One event to record. */
export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure';
  /** The acting client; null when unknown. */
  clientId: string | null;
  targetId: string | null;
  /** The HTTP request the change came with (method, path, query), read from its context. */
  context: Context;
  statusCode: number;
  before?: unknown;
  after?: unknown;
  error?: { errorCode: string; message: string };
}

/**
 * A console session event: sign-in (`s`), failed sign-in (`f`) or sign-out (`slo`) of `clientId`
 * (the client id typed in, for a failure); `sessionId` names the session, never its cookie value.
 * The secret it was signed in with is never passed.
 */
export interface ConsoleEvent {
  type: 's' | 'f' | 'slo';
  clientId: string | null;
  sessionId?: string | undefined;
  /** Why a sign-in failed, in a few words (no secret). */
  reason?: string | undefined;
}

/**
 * A federated client authentication at an OAuth endpoint (workload identity federation): `seccft`
 * when the platform token authenticated `clientId`, `feccft` when it was refused. Issuer and
 * subject are the token's claims (unverified on a failure); the token itself is never passed.
 */
export interface FederatedSignInEvent {
  outcome: 'success' | 'failure';
  /** The authenticated client; on a failure the matched or named client, or null. */
  clientId: string | null;
  issuer?: string | undefined;
  subject?: string | undefined;
  /** The issuer kind of the matched credential (`kubernetes`, `spiffe`, `aws`, `github-actions`, `oidc`). */
  kind?: string | undefined;
  credentialId?: string | undefined;
  /** The `audience` parameter of the token request (the API asked for), when sent. */
  audience?: string | undefined;
  /** Why it was refused (the server-side reason, no token). */
  reason?: string | undefined;
}

/** Records audit events. */
export interface AuditRecorder {
  /** Records one event; answers the stored record, or null when the store refused it (logged). */
  record(entry: AuditEntry): Promise<AuditEventRecord | null>;
  /** Records a console sign-in, failed sign-in or sign-out. */
  recordConsole(c: Context, event: ConsoleEvent): Promise<void>;
  /** Records a federated client authentication (`seccft` / `feccft`). */
  recordFederatedSignIn(c: Context, event: FederatedSignInEvent): Promise<void>;
}

/** Options of `createAuditRecorder`. */
export interface AuditRecorderOptions {
  store: Store;
  logger: Logger;
  /** How long events are kept (ms). */
  retentionMs: number;
  /** Proxies in front whose `X-Forwarded-For` entries are trusted (GATEHOUSE_TRUST_PROXY_HOPS). */
  trustProxyHops?: number;
  now?: () => number;
}

const CONSOLE_ACTIONS: Record<ConsoleEvent['type'], AuditAction> = {
  s: 'console.signed_in',
  f: 'console.sign_in_failed',
  slo: 'console.signed_out',
};
const FEDERATED_SIGN_IN_FAILED = 'Failed federated client authentication (workload identity token)';
/** Longest issuer, subject, kind, id or audience kept from a (possibly unverified) federated token. */
const MAX_CLAIM = 512;
const MAX_PATH = 2048;
const MAX_QUERY_PARAMS = 20;
const MAX_QUERY_VALUE = 512;
/** A typed-in client id is kept only in this shape (client ids are URL-safe), and no longer. */
const TYPED_CLIENT_ID = /^[A-Za-z0-9_.~-]{1,128}$/;

/** Creates the recorder. */
export function createAuditRecorder(opts: AuditRecorderOptions): AuditRecorder {
  const { store, logger, retentionMs, trustProxyHops = 0, now = Date.now } = opts;
  const log = logger.child({ audit: true });
  let last = { at: 0, id: '' };

  const clientName = async (clientId: string | null): Promise<string | null> => {
    if (clientId === null) return null;
    try {
      return (await store.getClient(clientId))?.name ?? null;
    } catch {
      return null;
    }
  };

  const write = async (
    c: Context,
    fields: Omit<
      AuditEventRecord,
      'id' | 'at' | 'clientName' | 'ip' | 'userAgent' | 'expiresAt' | 'description'
    > & {
      description: string;
    },
  ): Promise<AuditEventRecord | null> => {
    // Ids of one instance strictly increase, even within a millisecond or when the clock steps
    // back, so the log reads in the order the changes were made here.
    const at = Math.max(now(), last.at);
    const id = at === last.at ? incrementUlid(last.id) : createUlid(at);
    last = { at, id };
    const { ip, userAgent } = readRequestOrigin(c, trustProxyHops);
    const record: AuditEventRecord = {
      ...fields,
      id,
      at,
      clientName: await clientName(fields.clientId),
      ip,
      userAgent,
      expiresAt: at + retentionMs,
    };
    try {
      await store.appendAuditEvent(record);
    } catch (err) {
      log.error(
        { event: record.action, actor: record.clientId, err: err instanceof Error ? err.message : 'unknown' },
        'audit event not stored',
      );
      return null;
    }
    // The structured log keeps its one line per change (ids only), as before the stored log.
    log.info(
      {
        event: record.action,
        actor: record.clientId,
        outcome: record.outcome,
        target: record.targetId,
        log_id: record.id,
      },
      record.action,
    );
    return record;
  };

  // Bounded: an authenticated caller cannot make an event as large as a request may be.
  const requestOf = (c: Context) => ({
    method: c.req.method,
    path: redactPath(c.req.path.slice(0, MAX_PATH)),
    query: redactSecrets(
      Object.fromEntries(
        Object.entries(c.req.query())
          .slice(0, MAX_QUERY_PARAMS)
          .map(([k, v]) => [k.slice(0, 64), v.slice(0, MAX_QUERY_VALUE)]),
      ),
    ),
  });

  return {
    record(entry) {
      const { target, description } = AUDIT_ACTIONS[entry.action];
      return write(entry.context, {
        type: entry.outcome === 'success' ? 'sapi' : 'fapi',
        action: entry.action,
        outcome: entry.outcome,
        clientId: entry.clientId,
        targetType: target,
        targetId:
          entry.targetId === null || redactSecrets(entry.targetId) !== REDACTED ? entry.targetId : REDACTED,
        description,
        details: {
          request: requestOf(entry.context),
          response: { statusCode: entry.statusCode },
          before: toAuditState(entry.before),
          after: toAuditState(entry.after),
          ...(entry.error === undefined ? {} : { error: redactSecrets(entry.error) }),
        },
      });
    },
    async recordConsole(c, { type, clientId, sessionId, reason }) {
      const action = CONSOLE_ACTIONS[type];
      const { target, description } = AUDIT_ACTIONS[action];
      const actor = clientId !== null && TYPED_CLIENT_ID.test(clientId) ? clientId : null;
      await write(c, {
        type,
        action,
        outcome: type === 'f' ? 'failure' : 'success',
        clientId: actor,
        targetType: target,
        targetId: sessionId ?? null,
        description,
        details: {
          request: requestOf(c),
          ...(reason === undefined ? {} : { error: { message: reason.slice(0, 200) } }),
        },
      });
    },
    async recordFederatedSignIn(c, event) {
      const action = 'client.federated_sign_in';
      const { target, description } = AUDIT_ACTIONS[action];
      const failed = event.outcome === 'failure';
      const actor = event.clientId !== null && TYPED_CLIENT_ID.test(event.clientId) ? event.clientId : null;
      const claim = (value: string | undefined) =>
        value === undefined ? undefined : redactSecrets(value.slice(0, MAX_CLAIM));
      await write(c, {
        type: failed ? 'feccft' : 'seccft',
        action,
        outcome: event.outcome,
        clientId: actor,
        targetType: target,
        targetId: actor,
        description: failed ? FEDERATED_SIGN_IN_FAILED : description,
        details: {
          issuer: claim(event.issuer) ?? null,
          subject: claim(event.subject) ?? null,
          kind: claim(event.kind) ?? null,
          credential_id: claim(event.credentialId) ?? null,
          audience: claim(event.audience) ?? null,
          request: requestOf(c),
          ...(event.reason === undefined ? {} : { error: { message: claim(event.reason) } }),
        },
      });
    },
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The ULID after `id` in the same millisecond: its random part plus one. */
export function incrementUlid(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; i >= 10; i--) {
    const value = CROCKFORD.indexOf(chars[i]!);
    if (value < 31) {
      chars[i] = CROCKFORD[value + 1]!;
      return chars.join('');
    }
    chars[i] = '0';
  }
  // 2^80 ids in one millisecond: not reachable; start the millisecond's range over.
  return chars.join('');
}
