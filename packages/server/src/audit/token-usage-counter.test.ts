import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import type { AuditLogStore } from '../store/audit-log.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createTokenUsageCounter, OVERFLOW_CLIENT } from './token-usage-counter.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 12, 30);
const logger = createLogger({ level: 'silent' });

describe('token usage counter', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-usage-'));
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes nothing until flushed, then one row per hour, client, API and outcome', async () => {
    let now = T0;
    const usage = createTokenUsageCounter({ store, logger, retentionMs: 90 * 24 * HOUR, now: () => now });
    usage.issued('a', 'https://api/', 3600);
    usage.issued('a', 'https://api/', 60);
    usage.failed('invalid_client', undefined);
    usage.failed('Not A Code!', 'a');
    now += HOUR;
    usage.issued('a', 'https://api/', 3600);
    const bucket = T0 - (T0 % HOUR);
    expect(await store.listTokenUsage({ from: 0, to: T0 + 2 * HOUR })).toEqual([]);
    await usage.flush();
    expect(await store.listTokenUsage({ from: 0, to: T0 + 2 * HOUR })).toEqual([
      { bucket, clientId: '', audience: '', outcome: 'invalid_client', count: 1, lifetimeSum: 0 },
      { bucket, clientId: 'a', audience: '', outcome: 'other', count: 1, lifetimeSum: 0 },
      { bucket, clientId: 'a', audience: 'https://api/', outcome: 'issued', count: 2, lifetimeSum: 3660 },
      {
        bucket: bucket + HOUR,
        clientId: 'a',
        audience: 'https://api/',
        outcome: 'issued',
        count: 1,
        lifetimeSum: 3600,
      },
    ]);
    await usage.flush();
    expect((await store.listTokenUsage({ from: 0, to: T0 + 2 * HOUR })).map((r) => r.count)).toEqual([
      1, 1, 2, 1,
    ]);
  });

  it('flushes by itself once autoFlushMs has passed, for runtimes without a timer', async () => {
    let now = T0;
    let writes = 0;
    const counting: AuditLogStore = {
      ...store,
      addTokenUsage: (rows) => {
        writes += 1;
        return store.addTokenUsage(rows);
      },
    };
    const usage = createTokenUsageCounter({
      store: counting,
      logger,
      retentionMs: HOUR,
      autoFlushMs: 60_000,
      now: () => now,
    });
    usage.issued('a', 'x', 10);
    now += 59_999;
    usage.issued('a', 'x', 10);
    expect(writes).toBe(0);
    now += 1;
    usage.issued('a', 'x', 10);
    await usage.flush();
    expect(writes).toBe(1);
    expect((await store.listTokenUsage({ from: 0, to: T0 + HOUR })).map((r) => r.count)).toEqual([3]);
  });

  it('keeps the counts for the next flush when the store refuses one', async () => {
    let fail = true;
    const flaky: AuditLogStore = {
      ...store,
      addTokenUsage: (rows) => (fail ? Promise.reject(new Error('store down')) : store.addTokenUsage(rows)),
    };
    const usage = createTokenUsageCounter({ store: flaky, logger, retentionMs: HOUR, now: () => T0 });
    usage.issued('a', 'x', 10);
    await usage.flush();
    usage.issued('a', 'x', 10);
    fail = false;
    await usage.flush();
    expect(await store.listTokenUsage({ from: 0, to: T0 + HOUR })).toEqual([
      {
        bucket: T0 - (T0 % HOUR),
        clientId: 'a',
        audience: 'x',
        outcome: 'issued',
        count: 2,
        lifetimeSum: 20,
      },
    ]);
  });

  it('holds at most maxRows rows between flushes, counting the rest in an overflow row', async () => {
    const usage = createTokenUsageCounter({ store, logger, retentionMs: HOUR, maxRows: 2, now: () => T0 });
    for (const client of ['a', 'b', 'c', 'd']) usage.issued(client, 'x', 1);
    await usage.flush();
    const rows = await store.listTokenUsage({ from: 0, to: T0 + HOUR });
    expect(rows.map((r) => [r.clientId, r.count])).toEqual([
      [OVERFLOW_CLIENT, 2],
      ['a', 1],
      ['b', 1],
    ]);
  });
});
