import type { AuthorizerLogger } from '../logging/logger.ts';

/** Options of {@link createPoller}. Times are in milliseconds. */
export interface PollerOptions {
  /** Which feed, for log lines (`revocations`, `policy`). */
  readonly name: string;
  /** How often to poll (`GATEHOUSE_SYNC_SECONDS` x 1000). */
  readonly intervalMs: number;
  /**
   * Poll on an unref'd timer (true), or on use (false: Lambda, where timers do not run between
   * invocations): a use past half the interval starts a poll without waiting for it; a use past
   * the whole interval waits for it, so a change is enforced within the interval.
   */
  readonly timers: boolean;
  /** One poll: fetch and apply; rejects when the feed could not be had (the state is kept). */
  readonly load: (signal: AbortSignal) => Promise<void>;
  readonly timeoutMs: number;
  readonly logger: AuthorizerLogger;
  readonly now: () => number;
}

/** Keeps one feed's state fresh; the hot path asks {@link Poller.isReady}, a cheap synchronous check. */
export interface Poller {
  /** Whether a decision may use the state now: held, and polled within the interval (or the feed is unreachable). */
  isReady(now: number): boolean;
  /** Waits until {@link Poller.isReady} (polling as needed); false when no state was ever had. */
  whenReady(): Promise<boolean>;
  /** Whether a state was ever had (a first poll succeeded). */
  held(): boolean;
  /** Polls now (sharing a poll under way); rejects when it fails. Starts the timer the first time. */
  refresh(): Promise<void>;
  /** Stops the timer. */
  close(): void;
}

/** With no state at all, requests may trigger a poll at most this often. */
const EMPTY_RETRY_MS = 1000;

/**
 * Creates a poller: one poll at a time, each stamped with the time it started (what the state is
 * known to be current as of); while the feed is unreachable the last state is kept and the outage
 * logged once, not on every poll, and its end once more.
 */
export function createPoller(options: PollerOptions): Poller {
  const { name, intervalMs, timers, load, timeoutMs, logger, now } = options;
  const half = intervalMs / 2;
  let held = false;
  let syncedAt = Number.NEGATIVE_INFINITY;
  let attemptAt = Number.NEGATIVE_INFINITY;
  let outageSince: number | undefined;
  let inflight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const noop = () => {};

  function poll(): Promise<void> {
    if (inflight !== null) return inflight;
    const started = now();
    attemptAt = started;
    const p: Promise<void> = load(AbortSignal.timeout(timeoutMs))
      .then(
        () => {
          held = true;
          syncedAt = started;
          if (outageSince !== undefined) {
            logger.info({ feed: name, outageMs: started - outageSince }, `${name} feed reachable again`);
            outageSince = undefined;
          }
        },
        (error: unknown) => {
          if (outageSince === undefined) {
            outageSince = started;
            logger.warn(
              {
                code: 'ERR_FEED_UNREACHABLE',
                feed: name,
                reason: error instanceof Error ? error.message : String(error),
              },
              held
                ? `${name} feed unreachable: keeping the last known state`
                : `${name} feed unreachable: refusing until it answers`,
            );
          }
          throw error;
        },
      )
      .finally(() => {
        // cleared before any caller resumes, so a refresh right after this one polls again
        inflight = null;
        if (!timers || closed) return;
        clearTimeout(timer);
        timer = setTimeout(() => poll().catch(noop), Math.max(attemptAt + intervalMs - now(), 0));
        timer.unref();
      });
    inflight = p;
    return p;
  }

  function isReady(t: number): boolean {
    const age = t - syncedAt;
    if (age < half) return true;
    // on use, without timers: poll in the background past half the interval
    if (!timers && inflight === null && t - attemptAt >= half) poll().catch(noop);
    return held && (timers || outageSince !== undefined || age <= intervalMs);
  }

  return {
    isReady,
    async whenReady() {
      // twice: a poll already under way may have started before the interval ran out
      for (let i = 0; i < 2 && !isReady(now()); i++) {
        if (!held && inflight === null && now() - attemptAt < EMPTY_RETRY_MS) break;
        await poll().catch(noop);
      }
      return held;
    },
    held: () => held,
    refresh: poll,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
