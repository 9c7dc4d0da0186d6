/**
 * In-memory failure counters: one instance only (the default for a store nothing else shares, and
 * the fallback when no shared back-end is configured). Bounded: past `maxKeys` the records that
 * can be forgotten go first, then the oldest.
 */
import type { FailureCounterStore } from './failure-counter-store.ts';
import { applyFailure, type FailureRecord, forgetAt } from './lockout-policy.ts';

/** Creates in-memory failure counters holding at most `maxKeys` keys. */
export function createMemoryFailureCounters(maxKeys = 100_000): FailureCounterStore {
  const records = new Map<string, { record: FailureRecord; forgetAt: number }>();
  return {
    async recordFailure(key, now, rule) {
      const before = records.get(key)?.record ?? null;
      const after = applyFailure(before, now, rule);
      records.delete(key);
      if (records.size >= maxKeys) {
        for (const [k, v] of records) if (v.forgetAt <= now) records.delete(k);
        if (records.size >= maxKeys) records.delete(records.keys().next().value as string);
      }
      records.set(key, { record: after, forgetAt: forgetAt(after, rule) });
      return { before, after };
    },
    async listLocked(now, limit) {
      const out: Array<{ key: string; lockedUntil: number }> = [];
      for (const [key, { record }] of records) {
        if (out.length >= limit) break;
        if (record.lockedUntil > now) out.push({ key, lockedUntil: record.lockedUntil });
      }
      return out;
    },
    async close() {
      records.clear();
    },
  };
}
