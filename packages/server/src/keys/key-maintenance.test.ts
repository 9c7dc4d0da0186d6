import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { loadKek } from './kek.ts';
import { NEXT_KEY_PREPUBLISH_MS, startKeyMaintenance } from './key-maintenance.ts';
import { createKeyRing } from './key-ring.ts';

describe('key maintenance', () => {
  let dir: string;
  let store: Store;
  let lines: Record<string, unknown>[];
  const logger = () =>
    createLogger({
      level: 'debug',
      destination: {
        write: (chunk: string) => void lines.push(JSON.parse(chunk) as Record<string, unknown>),
      },
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-maintenance-'));
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    lines = [];
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pre-publishes next keys two JWKS cache lifetimes (600 s) before they sign', () => {
    expect(NEXT_KEY_PREPUBLISH_MS).toBe(600_000);
  });

  it('rotates on schedule, logs it, and prunes expired revocations', async () => {
    let clock = Date.now();
    const keyRing = createKeyRing({ store, kek: await loadKek({ dataDir: dir }), now: () => clock });
    await keyRing.ensureSigningKey('RS256');
    const current = (await store.listSigningKeys()).find((k) => k.status === 'current')!;
    await store.revokeToken({
      jti: 'old',
      audience: 'https://a.test/',
      clientId: null,
      expiresAt: Date.now() - 1,
    });
    const maintenance = startKeyMaintenance({
      keyRing,
      store,
      logger: logger(),
      intervalMs: 3_600_000,
      rotationMs: 86_400_000,
    });
    try {
      clock = current.activatedAt! + 86_400_000 + NEXT_KEY_PREPUBLISH_MS;
      await maintenance.runOnce(clock);
      expect((await keyRing.getSigner('RS256')).kid).not.toBe(current.kid);
      expect(lines.some((l) => l.event === 'signing_key.rotated')).toBe(true);
      expect(await store.getRevokedToken('https://a.test/', 'old')).toBeNull();
    } finally {
      await maintenance.stop();
    }
  });

  it('logs a failed round instead of throwing, and keeps going', async () => {
    const keyRing = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    const maintenance = startKeyMaintenance({
      keyRing,
      store,
      logger: logger(),
      intervalMs: 3_600_000,
      rotationMs: 0,
    });
    await store.close();
    await expect(maintenance.runOnce()).resolves.toBeUndefined();
    expect(lines.some((l) => l.msg === 'key maintenance failed; retrying next round')).toBe(true);
    await maintenance.stop();
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  });
});
