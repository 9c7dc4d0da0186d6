/**
 * Background upkeep of one server instance, on an unref'd timer (it never keeps the process
 * alive): every `GATEHOUSE_SYNC_SECONDS` it re-reads the signing keys (so a rotation or revocation
 * made through another instance sharing the store takes effect here too, and a retired key leaves
 * the JWKS once its tokens have expired), rotates when `GATEHOUSE_KEY_ROTATION_DAYS` says so, keeps
 * a `next` key published, and now and then prunes expired revocation entries.
 *
 * Why a `next` key is published at least two JWKS cache lifetimes before it signs: the JWKS is
 * served with `Cache-Control: max-age=300` (DISCOVERY_MAX_AGE_SECONDS). A verifier that fetched it
 * just before the `next` key appeared holds a copy without it for up to one lifetime; an HTTP cache
 * between it and the server may add another. After two lifetimes every cached copy has the key,
 * so the first token it signs verifies everywhere without a refetch; and an instance sharing the
 * store publishes a key made elsewhere only once it has re-read the keys, within one sync interval.
 * Scheduled rotation therefore waits until the `next` key is that old (`keyPublishLeadMs`; normally
 * it has been published for a whole rotation period), and a manual rotation that promotes a younger
 * one starts it only then, the key it replaces signing until then (key-ring.ts).
 */
import { DISCOVERY_MAX_AGE_SECONDS } from '../discovery/discovery-routes.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RevocationStore } from '../store/store.ts';
import type { KeyRing } from './key-ring.ts';

/** How long a `next` key is published before scheduled rotation lets it sign: two JWKS cache lifetimes. */
export const NEXT_KEY_PREPUBLISH_MS = 2 * DISCOVERY_MAX_AGE_SECONDS * 1000;

/**
 * How long a key is published before it signs, scheduled or manual rotation alike (the key ring's
 * `publishLeadMs`): two JWKS cache lifetimes, and at least two sync intervals, so that every instance
 * sharing the store has re-read its keys and publishes it too (one interval, with a margin for a
 * slow round and clock skew between instances).
 */
export function keyPublishLeadMs(syncIntervalMs: number): number {
  return Math.max(NEXT_KEY_PREPUBLISH_MS, 2 * syncIntervalMs);
}

/** How often expired revocation entries are deleted. */
const PRUNE_INTERVAL_MS = 10 * 60_000;

/** Options of `startKeyMaintenance`. */
export interface KeyMaintenanceOptions {
  keyRing: KeyRing;
  store: RevocationStore;
  logger: Logger;
  /** Time between rounds (GATEHOUSE_SYNC_SECONDS). */
  intervalMs: number;
  /** GATEHOUSE_KEY_ROTATION_DAYS in ms; 0: no scheduled rotation. */
  rotationMs: number;
  /** Run rounds on a timer (default true); false: only `runOnce` runs them (AWS Lambda, `lambda/invocation-upkeep.ts`). */
  timer?: boolean;
}

/** The running upkeep. */
export interface KeyMaintenance {
  /** Runs one round now (also what the timer runs); never throws, failures are logged. */
  runOnce(now?: number): Promise<void>;
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

/** Starts the upkeep timer. */
export function startKeyMaintenance(opts: KeyMaintenanceOptions): KeyMaintenance {
  const { keyRing, store, logger, intervalMs, rotationMs } = opts;
  let lastPrune = 0;
  let running: Promise<void> | undefined;
  let stopped = false;

  const round = async (now: number): Promise<void> => {
    try {
      const rotated = await keyRing.maintain({ now, rotationMs, prepublishMs: keyPublishLeadMs(intervalMs) });
      for (const key of rotated) {
        logger.info(
          { event: 'signing_key.rotated', kid: key.kid, alg: key.alg },
          'scheduled signing key rotation',
        );
      }
      if (now - lastPrune >= PRUNE_INTERVAL_MS) {
        lastPrune = now;
        const pruned = await store.pruneRevocations(now);
        if (pruned > 0) logger.debug({ pruned }, 'expired revocation entries pruned');
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'key maintenance failed; retrying next round');
    }
  };

  const runOnce = (now: number = Date.now()): Promise<void> => {
    // One round at a time: a slow store never stacks rounds up.
    running ??= round(now).finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer =
    opts.timer === false
      ? undefined
      : setInterval(() => {
          if (!stopped) void runOnce();
        }, intervalMs);
  timer?.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
