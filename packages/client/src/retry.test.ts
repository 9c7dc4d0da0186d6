import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY, sleep } from './retry.ts';

describe('backoff with full jitter', () => {
  it('draws from [0, min(cap, base * 2^(n-1))]', () => {
    const policy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(399);
    expect(backoffDelay(policy, 5, () => 0.999)).toBe(999); // capped
    expect(backoffDelay(policy, 5, () => 0)).toBe(0);
  });

  it('has bounded defaults', () => {
    expect(DEFAULT_RETRY_POLICY.attempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.attempts).toBeLessThanOrEqual(5);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
  });
});
