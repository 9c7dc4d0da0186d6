import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import { sampleAuditEvent } from '../store/audit-log-contract.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { startAuditMaintenance } from './audit-maintenance.ts';
import { createTokenUsageCounter } from './token-usage-counter.ts';

const T0 = Date.UTC(2026, 0, 10, 12);
const HOUR = 3_600_000;
const logger = createLogger({ level: 'silent' });

describe('audit maintenance', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-maint-'));
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prunes events and usage rows past their retention, and keeps the rest', async () => {
    await store.appendAuditEvent(sampleAuditEvent(T0 - 2 * HOUR, { expiresAt: T0 - HOUR }));
    const kept = sampleAuditEvent(T0 - HOUR, { expiresAt: T0 + HOUR });
    await store.appendAuditEvent(kept);
    await store.addTokenUsage([
      {
        bucket: T0 - 3 * HOUR,
        clientId: 'a',
        audience: 'x',
        outcome: 'issued',
        count: 1,
        lifetimeSum: 1,
        expiresAt: T0,
      },
    ]);
    const usage = createTokenUsageCounter({ store, logger, retentionMs: HOUR, now: () => T0 });
    const maintenance = startAuditMaintenance({ store, usage, logger, now: () => T0 });
    try {
      expect(await maintenance.prune()).toEqual({ events: 1, usageRows: 1 });
      const left = await store.listAuditEvents({ page: 0, perPage: 10, now: 0 });
      expect(left.items.map((e) => e.id)).toEqual([kept.id]);
    } finally {
      await maintenance.stop();
    }
  });

  it('flushes the counters a last time when stopped', async () => {
    const usage = createTokenUsageCounter({ store, logger, retentionMs: HOUR, now: () => T0 });
    const maintenance = startAuditMaintenance({ store, usage, logger, flushMs: 3_600_000 });
    usage.issued('a', 'x', 60);
    expect(await store.listTokenUsage({ from: 0, to: T0 + HOUR })).toEqual([]);
    await maintenance.stop();
    expect((await store.listTokenUsage({ from: 0, to: T0 + HOUR })).map((r) => r.count)).toEqual([1]);
  });
});
