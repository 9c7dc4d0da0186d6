/**
 * Limits on requests that succeed (off by default): at most `max` requests per `windowMs` per key,
 * counted in memory in fixed windows on each instance. Instances do not share these counts: with
 * N instances behind a balancer, set the limit to the per-instance share.
 */
import { RateLimited } from '../http/errors.ts';

/** `max` requests per `windowMs`. */
export interface RateRule {
  max: number;
  windowMs: number;
}

/** A fixed-window request counter. */
export interface RequestRate {
  /** Counts one request for `key`. @throws RateLimited `too_many_requests` past the limit. */
  hit(key: string): void;
}

/** Creates a counter holding at most `maxKeys` keys (the oldest window goes first). */
export function createRequestRate(
  rule: RateRule,
  now: () => number = Date.now,
  maxKeys = 100_000,
): RequestRate {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key) {
      const t = now();
      let w = windows.get(key);
      if (w === undefined || t - w.start >= rule.windowMs) {
        if (w === undefined && windows.size >= maxKeys) {
          for (const [k, v] of windows) if (t - v.start >= rule.windowMs) windows.delete(k);
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        }
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count += 1;
      if (w.count > rule.max) {
        throw new RateLimited(
          'too_many_requests',
          'request rate limit exceeded; retry later',
          (w.start + rule.windowMs - t) / 1000,
        );
      }
    },
  };
}
