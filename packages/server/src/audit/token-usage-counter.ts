/**
 * Counts token-endpoint outcomes in memory, per hour bucket, client, API and outcome, and flushes
 * the counts to the store as additions (`addTokenUsage`), so that several instances sum up. The
 * token endpoint pays one Map update per request and no I/O; the store sees one write per row and
 * flush (each minute, from audit-maintenance.ts), not one per token.
 */
import type { Logger } from '../observability/logger.ts';
import { type AuditLogStore, type TokenUsageIncrement, USAGE_BUCKET_MS } from '../store/audit-log.ts';

/** What the token endpoint calls. */
export interface TokenUsageCounter {
  /**
   * A token was issued to `clientId` for `audience`, valid for `lifetimeSeconds`, at `at` (epoch ms;
   * the caller's clock reading saves a `Date.now()`; default now). Synchronous, no I/O.
   */
  issued(clientId: string, audience: string, lifetimeSeconds: number, at?: number): void;
  /**
   * The token endpoint answered the OAuth error `error`; `clientId` only once the client had
   * authenticated (an unauthenticated id is the caller's word and would let it grow the counters).
   */
  failed(error: string, clientId: string | undefined, at?: number): void;
  /** Writes the counts so far to the store and clears them; kept for the next flush if the store fails. */
  flush(): Promise<void>;
}

/** Options of `createTokenUsageCounter`. */
export interface TokenUsageCounterOptions {
  store: AuditLogStore;
  logger: Logger;
  /** How long the store keeps a usage row after its bucket (ms). */
  retentionMs: number;
  /**
   * Without a timer (AWS Lambda: nothing runs between invocations), a count this long after the last
   * flush starts one itself, in the background of the request that made it. Default: off (serve.ts
   * flushes on a timer).
   */
  autoFlushMs?: number;
  /** Most distinct rows held between flushes; beyond it, counts go to an overflow row per outcome. */
  maxRows?: number;
  now?: () => number;
}

interface Cell {
  bucket: number;
  clientId: string;
  audience: string;
  outcome: string;
  count: number;
  lifetimeSum: number;
}

/** Client id of the row that takes counts beyond `maxRows`. */
export const OVERFLOW_CLIENT = '(other)';
const OUTCOME = /^[a-z_]{1,40}$/;

/** Creates the counter. */
export function createTokenUsageCounter(opts: TokenUsageCounterOptions): TokenUsageCounter {
  const { store, logger, retentionMs, autoFlushMs, maxRows = 10_000, now = Date.now } = opts;
  // Nested by bucket, outcome, client and API: each level a Map lookup on a string whose hash V8
  // has already cached (the ids come from stored records), where a joined key would be hashed anew
  // on every call. Measured on the 2-core dev machine (busy: load 20), 1e6 calls over 50 clients
  // with the caller’s time: about 0.2 µs a call nested against 1.4-1.7 µs with a joined key and
  // its own Date.now(); an RS256 signature on the same request costs about 900 µs.
  let cells = new Map<number, Map<string, Map<string, Map<string, Cell>>>>();
  let rows = 0;
  let flushing: Promise<void> = Promise.resolve();
  let lastFlush = now();
  const flush = () => {
    lastFlush = now();
    flushing = flushing.then(flushOnce);
    return flushing;
  };

  /** The cell of a row, created when absent (and `room` allows; null otherwise). */
  const cellOf = (bucket: number, outcome: string, clientId: string, audience: string, room: boolean) => {
    let byOutcome = cells.get(bucket);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      cells.set(bucket, byOutcome);
    }
    let byClient = byOutcome.get(outcome);
    if (byClient === undefined) {
      byClient = new Map();
      byOutcome.set(outcome, byClient);
    }
    let byAudience = byClient.get(clientId);
    if (byAudience === undefined) {
      byAudience = new Map();
      byClient.set(clientId, byAudience);
    }
    let cell = byAudience.get(audience);
    if (cell === undefined) {
      if (!room) return null;
      cell = { bucket, clientId, audience, outcome, count: 0, lifetimeSum: 0 };
      byAudience.set(audience, cell);
      rows += 1;
    }
    return cell;
  };

  const add = (
    clientId: string,
    audience: string,
    outcome: string,
    lifetime: number,
    at: number | undefined,
  ) => {
    const t = at ?? now();
    const bucket = t - (t % USAGE_BUCKET_MS);
    // Full: count it, but in one row per bucket and outcome rather than a new one.
    const cell =
      cellOf(bucket, outcome, clientId, audience, rows < maxRows) ??
      cellOf(bucket, outcome, OVERFLOW_CLIENT, '', true)!;
    cell.count += 1;
    cell.lifetimeSum += lifetime;
    if (autoFlushMs !== undefined && t - lastFlush >= autoFlushMs) void flush();
  };

  const flushOnce = async () => {
    if (rows === 0) return;
    const pending: Cell[] = [];
    for (const byOutcome of cells.values())
      for (const byClient of byOutcome.values())
        for (const byAudience of byClient.values()) pending.push(...byAudience.values());
    cells = new Map();
    rows = 0;
    const increments: TokenUsageIncrement[] = pending.map((c) => ({
      ...c,
      expiresAt: c.bucket + USAGE_BUCKET_MS + retentionMs,
    }));
    try {
      await store.addTokenUsage(increments);
    } catch (err) {
      // Put the counts back for the next flush (a row may be added twice if the store applied part
      // of a batch before failing: counts are statistics, not money).
      for (const c of pending) {
        const current = cellOf(c.bucket, c.outcome, c.clientId, c.audience, true)!;
        current.count += c.count;
        current.lifetimeSum += c.lifetimeSum;
      }
      logger.warn(
        { err: err instanceof Error ? err.message : 'unknown', rows: pending.length },
        'token usage flush failed',
      );
    }
  };

  return {
    issued(clientId, audience, lifetimeSeconds, at) {
      add(clientId, audience, 'issued', lifetimeSeconds, at);
    },
    failed(error, clientId, at) {
      add(clientId ?? '', '', OUTCOME.test(error) ? error : 'other', 0, at);
    },
    flush,
  };
}
