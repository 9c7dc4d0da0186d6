import { describe, expect, it } from 'vitest';
import { RateLimited } from '../http/errors.ts';
import {
  type AuthLimiter,
  createAuthLimiter,
  type LockoutEvent,
  type LockoutPolicy,
} from './auth-limiter.ts';
import { createMemoryFailureCounters } from './memory-failure-counters.ts';

const rule = (maxFailures: number) => ({
  maxFailures,
  windowMs: 60_000,
  baseLockMs: 30_000,
  maxLockMs: 600_000,
});
const policy: LockoutPolicy = { address: rule(20), pair: rule(5), client: rule(50) };

function setup(p: LockoutPolicy = policy) {
  let t = 1_000_000;
  const events: LockoutEvent[] = [];
  const limiter = createAuthLimiter({
    counters: createMemoryFailureCounters(),
    policy: p,
    now: () => t,
    onLockout: (e) => events.push(e),
  });
  return { limiter, events, advance: (ms: number) => (t += ms) };
}

function isAllowed(limiter: AuthLimiter, clientId: string, address: string): boolean {
  try {
    limiter.assertAllowed({ clientId, address });
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(RateLimited);
    return false;
  }
}

describe('auth limiter', () => {
  it('locks out a guessing address for the client it guesses while the client goes on from its own address', async () => {
    const { limiter, events } = setup();
    for (let i = 0; i < 5; i++) await limiter.recordFailure({ clientId: 'svc', address: '10.0.0.66' });
    expect(isAllowed(limiter, 'svc', '10.0.0.66')).toBe(false);
    expect(isAllowed(limiter, 'svc', '10.0.0.1')).toBe(true);
    expect(events).toEqual([{ kind: 'pair', clientId: 'svc', address: '10.0.0.66', seconds: 30 }]);
  });

  it('locks out an address that guesses many clients, whatever client it names next', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 20; i++) await limiter.recordFailure({ clientId: `c${i}`, address: '10.0.0.66' });
    expect(isAllowed(limiter, 'anyone', '10.0.0.66')).toBe(false);
    expect(isAllowed(limiter, 'anyone', '10.0.0.67')).toBe(true);
  });

  it('answers 429 with the remaining time, not 401, for a failure while already locked out', async () => {
    const { limiter, advance } = setup();
    for (let i = 0; i < 5; i++)
      expect(await limiter.recordFailure({ clientId: 'svc', address: 'x' })).toBeUndefined();
    advance(10_000);
    const limited = await limiter.recordFailure({ clientId: 'svc', address: 'x' });
    expect(limited).toBeInstanceOf(RateLimited);
    expect(limited?.error).toBe('too_many_attempts');
    expect(limited?.retryAfterSeconds).toBe(20);
  });

  it('lifts a lock once it has run out, and locks longer the next time', async () => {
    const { limiter, advance, events } = setup();
    for (let i = 0; i < 5; i++) await limiter.recordFailure({ clientId: 'svc', address: 'x' });
    advance(30_000);
    expect(isAllowed(limiter, 'svc', 'x')).toBe(true);
    for (let i = 0; i < 5; i++) await limiter.recordFailure({ clientId: 'svc', address: 'x' });
    expect(events.map((e) => e.seconds)).toEqual([30, 60]);
  });

  it('gives each address a single guess once a client is under a distributed attack', async () => {
    const { limiter, events } = setup();
    for (let i = 0; i < 50; i++) await limiter.recordFailure({ clientId: 'svc', address: `10.1.0.${i}` });
    expect(events.some((e) => e.kind === 'client')).toBe(true);
    await limiter.recordFailure({ clientId: 'svc', address: '10.2.0.1' });
    expect(isAllowed(limiter, 'svc', '10.2.0.1')).toBe(false);
    expect(isAllowed(limiter, 'svc', '10.9.9.9')).toBe(true);
  });

  it('checks nothing and counts nothing per address when the address is unknown', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 30; i++) await limiter.recordFailure({ clientId: 'svc' });
    expect(() => limiter.assertAllowed({ clientId: 'svc' })).not.toThrow();
  });

  it('keeps answering failures when the counter store fails', async () => {
    const errors: unknown[] = [];
    const limiter = createAuthLimiter({
      counters: {
        recordFailure: () => Promise.reject(new Error('store down')),
        listLocked: () => Promise.reject(new Error('store down')),
        close: async () => {},
      },
      policy,
      onStoreError: (e) => errors.push(e),
    });
    expect(await limiter.recordFailure({ clientId: 'svc', address: 'x' })).toBeUndefined();
    await limiter.syncLocks();
    expect(errors).toHaveLength(2);
  });

  it('learns locks set elsewhere from the shared counters on sync', async () => {
    const counters = createMemoryFailureCounters();
    const a = createAuthLimiter({ counters, policy });
    const b = createAuthLimiter({ counters, policy });
    for (let i = 0; i < 5; i++) await a.recordFailure({ clientId: 'svc', address: 'x' });
    expect(isAllowed(b, 'svc', 'x')).toBe(true);
    await b.syncLocks();
    expect(isAllowed(b, 'svc', 'x')).toBe(false);
  });
});
