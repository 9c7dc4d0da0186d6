import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadKek } from '../keys/kek.ts';
import { createKeyRing, type KeyRing } from '../keys/key-ring.ts';
import { createLogger } from '../observability/logger.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createInvocationUpkeep } from './invocation-upkeep.ts';

const DAY = 86_400_000;

describe('key upkeep per Lambda invocation', () => {
  let dir: string;
  let store: Store;
  let keyRing: KeyRing;
  /** The key ring's clock: the tests move it with the rounds they run. */
  let clock: number;
  const logger = createLogger({ level: 'silent' });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-upkeep-'));
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    clock = Date.now();
    keyRing = createKeyRing({ store, kek: await loadKek({ dataDir: dir }), now: () => clock });
    await keyRing.ensureSigningKey('RS256');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a round only once the sync interval has passed since the last one, and sets no timer', async () => {
    const maintain = vi.spyOn(keyRing, 'maintain');
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    const upkeep = createInvocationUpkeep({ keyRing, store, logger, intervalMs: 10_000, rotationMs: 0 });
    expect(setInterval).not.toHaveBeenCalled();
    const t0 = 1_000_000;
    await upkeep.runNow(t0);
    await upkeep.beforeInvocation(t0 + 1_000);
    await upkeep.beforeInvocation(t0 + 9_999);
    expect(maintain).toHaveBeenCalledTimes(1);
    await upkeep.beforeInvocation(t0 + 10_000);
    expect(maintain).toHaveBeenCalledTimes(2);
    await upkeep.beforeInvocation(t0 + 15_000);
    expect(maintain).toHaveBeenCalledTimes(2);
    expect(maintain.mock.calls.map(([o]) => o.now)).toEqual([t0, t0 + 10_000]);
  });

  it('runs at the first invocation when no round ran at cold start', async () => {
    const maintain = vi.spyOn(keyRing, 'maintain');
    const upkeep = createInvocationUpkeep({ keyRing, store, logger, intervalMs: 10_000, rotationMs: 0 });
    await upkeep.beforeInvocation(5);
    expect(maintain).toHaveBeenCalledTimes(1);
  });

  it('rotates on schedule from an invocation, as the timer does in a long-running server', async () => {
    const upkeep = createInvocationUpkeep({ keyRing, store, logger, intervalMs: 10_000, rotationMs: DAY });
    const before = await keyRing.getSigner('RS256');
    await upkeep.runNow(Date.now());
    expect((await keyRing.getSigner('RS256')).kid).toBe(before.kid);
    clock += 2 * DAY;
    await upkeep.beforeInvocation(clock);
    expect((await keyRing.getSigner('RS256')).kid).not.toBe(before.kid);
  });

  it('never throws: a failed round is logged and retried after the interval', async () => {
    const lines: string[] = [];
    const capturing = createLogger({
      level: 'warn',
      destination: { write: (l: string) => void lines.push(l) },
    });
    const maintain = vi.spyOn(keyRing, 'maintain').mockRejectedValueOnce(new Error('store down'));
    const upkeep = createInvocationUpkeep({
      keyRing,
      store,
      logger: capturing,
      intervalMs: 1_000,
      rotationMs: 0,
    });
    await expect(upkeep.beforeInvocation(0)).resolves.toBeUndefined();
    expect(lines.join('')).toContain('key maintenance failed');
    await upkeep.beforeInvocation(1_000);
    expect(maintain).toHaveBeenCalledTimes(2);
  });
});
