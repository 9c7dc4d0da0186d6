/**
 * The back-end-neutral contract of `AuditLogStore`, registered by each back-end's
 * `*-audit-log.test.ts` with a factory that yields a fresh, empty store (a sibling of
 * `runStoreContract`, so the audit log is checked on SQLite, PostgreSQL and DynamoDB alike).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUlid } from '../token/ulid.ts';
import type { AuditEventRecord, AuditLogStore } from './audit-log.ts';
import { USAGE_BUCKET_MS } from './audit-log.ts';
import { StoreConflictError } from './store.ts';

/** What a back-end's factory yields. */
export interface AuditLogContractSubject {
  store: AuditLogStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const DAY = 86_400_000;

/** A valid audit event at `at`; `overrides` replace fields. */
export function sampleAuditEvent(at: number, overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  return {
    id: createUlid(at),
    at,
    type: 'sapi',
    action: 'client.updated',
    outcome: 'success',
    clientId: 'adminclient',
    clientName: 'admin',
    ip: '127.0.0.1',
    userAgent: 'contract-test',
    targetType: 'client',
    targetId: 'target-1',
    description: 'Update a client',
    details: { before: { name: 'a' }, after: { name: 'b' }, nested: { list: [1, 'two', null] } },
    expiresAt: at + 90 * DAY,
    ...overrides,
  };
}

/** Registers the audit-log contract for one back-end; `pruneByTtl`: it leaves expiry to the database TTL. */
export function runAuditLogContract(
  name: string,
  open: () => Promise<AuditLogContractSubject>,
  opts: { pruneByTtl?: boolean } = {},
): void {
  describe(`AuditLogStore contract: ${name}`, () => {
    let subject: AuditLogContractSubject;
    let store: AuditLogStore;
    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('stores an event and reads it back by id exactly', async () => {
      const e = sampleAuditEvent(T0, { clientId: null, clientName: null, ip: null, userAgent: null });
      await store.appendAuditEvent(e);
      expect(await store.getAuditEvent(e.id, T0)).toEqual(e);
      expect(await store.getAuditEvent(createUlid(T0), T0)).toBeNull();
    });

    it('refuses a second event with the same id', async () => {
      const e = sampleAuditEvent(T0);
      await store.appendAuditEvent(e);
      await expect(store.appendAuditEvent({ ...e, action: 'other' })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect((await store.getAuditEvent(e.id, T0))?.action).toBe('client.updated');
    });

    it('lists newest first by default, oldest first on request, with exact totals and pages', async () => {
      const events = [0, 1, 2, 3, 4].map((i) => sampleAuditEvent(T0 + i * 1000));
      for (const e of events) await store.appendAuditEvent(e);
      const desc = await store.listAuditEvents({ page: 0, perPage: 2, now: T0 });
      expect(desc.total).toBe(5);
      expect(desc.items.map((e) => e.id)).toEqual([events[4]!.id, events[3]!.id]);
      const last = await store.listAuditEvents({ page: 2, perPage: 2, now: T0 });
      expect(last.items.map((e) => e.id)).toEqual([events[0]!.id]);
      const asc = await store.listAuditEvents({ page: 1, perPage: 2, now: T0, order: 'asc' });
      expect(asc.items.map((e) => e.id)).toEqual([events[2]!.id, events[3]!.id]);
      const beyond = await store.listAuditEvents({ page: 9, perPage: 2, now: T0 });
      expect(beyond).toEqual({ items: [], total: 5 });
    });

    it('filters by actor, type, action, target and time range, all together', async () => {
      const a = sampleAuditEvent(T0, { clientId: 'alice', targetId: 'c1' });
      const b = sampleAuditEvent(T0 + 1000, {
        clientId: 'bob',
        targetId: 'c1',
        type: 'fapi',
        outcome: 'failure',
      });
      const c = sampleAuditEvent(T0 + 2000, {
        clientId: 'alice',
        targetType: 'signing_key',
        targetId: 'kid1',
        action: 'signing_key.rotated',
      });
      const d = sampleAuditEvent(T0 + DAY, { clientId: 'alice', targetId: 'c1' });
      for (const e of [a, b, c, d]) await store.appendAuditEvent(e);
      const ids = async (q: Partial<Parameters<AuditLogStore['listAuditEvents']>[0]>) =>
        (await store.listAuditEvents({ page: 0, perPage: 50, now: T0, order: 'asc', ...q })).items.map(
          (e) => e.id,
        );
      expect(await ids({ clientId: 'alice' })).toEqual([a.id, c.id, d.id]);
      expect(await ids({ type: 'fapi' })).toEqual([b.id]);
      expect(await ids({ action: 'signing_key.rotated' })).toEqual([c.id]);
      expect(await ids({ targetType: 'client', targetId: 'c1' })).toEqual([a.id, b.id, d.id]);
      expect(await ids({ from: T0 + 1000, to: T0 + DAY })).toEqual([b.id, c.id]);
      expect(await ids({ from: T0 + DAY })).toEqual([d.id]);
      expect(await ids({ to: T0 + 1000 })).toEqual([a.id]);
      expect(await ids({ clientId: 'alice', targetId: 'c1', from: T0 + 1 })).toEqual([d.id]);
      const counted = await store.listAuditEvents({ page: 0, perPage: 1, now: T0, clientId: 'alice' });
      expect(counted.total).toBe(3);
      expect(await ids({ clientId: 'nobody' })).toEqual([]);
    });

    it('never answers an event past its retention, and prune removes it for good', async () => {
      const old = sampleAuditEvent(T0, { expiresAt: T0 + 1000 });
      const kept = sampleAuditEvent(T0 + 1, { expiresAt: T0 + DAY });
      await store.appendAuditEvent(old);
      await store.appendAuditEvent(kept);
      const later = T0 + 1000;
      expect(await store.getAuditEvent(old.id, later)).toBeNull();
      expect(await store.getAuditEvent(old.id, later - 1)).not.toBeNull();
      const listed = await store.listAuditEvents({ page: 0, perPage: 10, now: later });
      expect(listed).toEqual({ items: [kept], total: 1 });
      expect(await store.pruneAuditEvents(later)).toBe(opts.pruneByTtl ? 0 : 1);
      // Read at an earlier time: only a back-end that deleted it answers null.
      const readEarlier = await store.getAuditEvent(old.id, T0);
      if (opts.pruneByTtl) expect(readEarlier).toEqual(old);
      else expect(readEarlier).toBeNull();
      expect(await store.getAuditEvent(kept.id, later)).toEqual(kept);
    });

    it('adds usage counters so that concurrent flushes sum', async () => {
      const bucket = Math.floor(T0 / USAGE_BUCKET_MS) * USAGE_BUCKET_MS;
      const row = {
        bucket,
        clientId: 'c1',
        audience: 'https://api.example/#v1',
        outcome: 'issued',
        count: 3,
        lifetimeSum: 3 * 3600,
        expiresAt: bucket + 90 * DAY,
      };
      const failure = {
        ...row,
        clientId: '',
        audience: '',
        outcome: 'invalid_client',
        count: 2,
        lifetimeSum: 0,
      };
      await Promise.all([
        store.addTokenUsage([row, failure]),
        store.addTokenUsage([{ ...row, count: 4, lifetimeSum: 4 * 3600 }]),
        store.addTokenUsage([{ ...row, bucket: bucket + USAGE_BUCKET_MS, count: 1, lifetimeSum: 60 }]),
        store.addTokenUsage([]),
      ]);
      const rows = await store.listTokenUsage({ from: bucket, to: bucket + 2 * USAGE_BUCKET_MS });
      expect(rows).toEqual([
        { bucket, clientId: '', audience: '', outcome: 'invalid_client', count: 2, lifetimeSum: 0 },
        {
          bucket,
          clientId: 'c1',
          audience: row.audience,
          outcome: 'issued',
          count: 7,
          lifetimeSum: 7 * 3600,
        },
        {
          bucket: bucket + USAGE_BUCKET_MS,
          clientId: 'c1',
          audience: row.audience,
          outcome: 'issued',
          count: 1,
          lifetimeSum: 60,
        },
      ]);
      const first = await store.listTokenUsage({
        from: bucket,
        to: bucket + USAGE_BUCKET_MS,
        clientId: 'c1',
      });
      expect(first.map((r) => r.count)).toEqual([7]);
      expect(await store.listTokenUsage({ from: bucket - USAGE_BUCKET_MS, to: bucket })).toEqual([]);
    });

    it('prunes usage rows past their retention', async () => {
      const bucket = Math.floor(T0 / USAGE_BUCKET_MS) * USAGE_BUCKET_MS;
      await store.addTokenUsage([
        {
          bucket,
          clientId: 'c',
          audience: 'a',
          outcome: 'issued',
          count: 1,
          lifetimeSum: 1,
          expiresAt: T0 + 10,
        },
      ]);
      await store.addTokenUsage([
        {
          bucket,
          clientId: 'd',
          audience: 'a',
          outcome: 'issued',
          count: 1,
          lifetimeSum: 1,
          expiresAt: T0 + 11,
        },
      ]);
      // DynamoDB leaves deletion to its TTL (and answers 0); the SQL back-ends delete at once.
      expect(await store.pruneTokenUsage(T0 + 10)).toBe(opts.pruneByTtl ? 0 : 1);
      const left = await store.listTokenUsage({ from: bucket, to: bucket + USAGE_BUCKET_MS });
      expect(left.map((r) => r.clientId)).toEqual(opts.pruneByTtl ? ['c', 'd'] : ['d']);
    });
  });
}
