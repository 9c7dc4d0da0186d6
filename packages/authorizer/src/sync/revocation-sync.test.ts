import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpFetch } from '../jwks/http-fetch.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createTestUlid } from '../testing/test-ulid.ts';
import { createRevocationSync, type RevocationSync } from './revocation-sync.ts';

let idp: TestIssuer;
let logs: Array<{ level: string; fields: Record<string, unknown>; message: string }>;
const syncs: RevocationSync[] = [];

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});
beforeEach(() => {
  logs = [];
  for (const s of syncs.splice(0)) s.close();
  idp.feeds.setAvailable(true);
  idp.feeds.requests.length = 0;
});

function createSync(
  options: { timers?: boolean; syncSeconds?: number; now?: () => number; url?: string } = {},
) {
  const own = logs; // a closed client's poll still under way logs into its own test's list
  const sync = createRevocationSync({
    issuer: idp.issuer,
    url: options.url,
    fetch: createHttpFetch(),
    syncSeconds: options.syncSeconds ?? 0.05,
    timers: options.timers ?? true,
    toleranceMs: 5000,
    logger: {
      info: (fields, message) => own.push({ level: 'info', fields, message }),
      warn: (fields, message) => own.push({ level: 'warn', fields, message }),
    },
    now: options.now ?? Date.now,
  });
  syncs.push(sync);
  return sync;
}

const claims = (jti: string, issuedMs = Date.now()) => ({
  jti,
  iat: Math.floor(issuedMs / 1000),
  exp: Math.floor(issuedMs / 1000) + 300,
  aud: idp.audience,
});
const revocationRequests = () => idp.feeds.requests.filter((r) => r.feed === 'revocations');

describe('the revocation feed client', () => {
  it('fetches the whole list first, then only what came after its cursor', async () => {
    idp.feeds.revokeToken('jti-1', 2e9);
    const sync = createSync();
    await sync.refresh();
    expect(sync.isDenied(claims('jti-1'), 'svc-a', 'k')).toBe(true);
    const first = revocationRequests()[0]!;
    expect(first.query).toBe('');
    idp.feeds.revokeToken('jti-2', 2e9);
    await vi.waitFor(() => expect(sync.isDenied(claims('jti-2'), 'svc-a', 'k')).toBe(true), {
      timeout: 5000,
    });
    const later = revocationRequests().slice(1);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => /^\?since=\d+$/.test(r.query))).toBe(true);
    expect(sync.isDenied(claims('jti-1'), 'svc-a', 'k')).toBe(true);
  });

  it('asks with If-None-Match, so an unchanged list costs a 304', async () => {
    const sync = createSync();
    await sync.refresh();
    await vi.waitFor(
      () => expect(revocationRequests().filter((r) => r.status === 304).length).toBeGreaterThan(2),
      {
        timeout: 5000,
      },
    );
  });

  it('starts over with the whole list when the server no longer knows its cursor', async () => {
    const sync = createSync({ timers: false, syncSeconds: 60 });
    idp.feeds.revokeToken('gone-soon', Math.floor(Date.now() / 1000) - 60);
    await sync.refresh();
    expect(sync.denyList.size()).toBeGreaterThan(0);
    idp.feeds.expire(Date.now());
    idp.feeds.forgetCursors();
    idp.feeds.revokeToken('jti-3', 2e9);
    await sync.refresh();
    expect(revocationRequests().at(-1)?.query).toMatch(/^\?since=\d+$/);
    expect(sync.isDenied(claims('jti-3'), 'svc-a', 'k')).toBe(true);
    // the expired entry left with the full answer (after the clock tolerance: it had expired long before)
    expect(sync.isDenied(claims('gone-soon'), 'svc-a', 'k')).toBe(false);
  });

  it('keeps its state while the feed is unreachable, says so once, and applies what it missed on reconnect', async () => {
    const sync = createSync();
    idp.feeds.revokeToken('before', 2e9);
    await sync.refresh();
    idp.feeds.setAvailable(false);
    await vi.waitFor(
      () => expect(revocationRequests().filter((r) => r.status === 503).length).toBeGreaterThan(3),
      {
        timeout: 5000,
      },
    );
    expect(sync.isDenied(claims('before'), 'svc-a', 'k')).toBe(true);
    expect(sync.isReady(Date.now())).toBe(true);
    const cutAt = Date.now();
    idp.feeds.revokeToken('during', 2e9);
    idp.feeds.cutOff('svc-b', null, cutAt);
    idp.feeds.revokeKey('key-1');
    idp.feeds.setAvailable(true);
    await vi.waitFor(() => expect(sync.isDenied(claims('during'), 'svc-a', 'k')).toBe(true), {
      timeout: 5000,
    });
    expect(sync.isDenied(claims(createTestUlid(cutAt - 1), cutAt - 1), 'svc-b', 'k')).toBe(true);
    expect(sync.isDenied(claims(createTestUlid(cutAt + 1), cutAt + 1), 'svc-b', 'k')).toBe(false);
    expect(sync.isDenied(claims('other'), 'svc-a', 'key-1')).toBe(true);
    expect(logs.filter((l) => l.fields.code === 'ERR_FEED_UNREACHABLE')).toHaveLength(1);
    expect(logs.filter((l) => l.message === 'revocations feed reachable again')).toHaveLength(1);
    expect(JSON.stringify(logs)).toContain('keeping the last known state');
  });

  it('without a first answer, is not ready and says it refuses', async () => {
    idp.feeds.setAvailable(false);
    const sync = createSync({ timers: false, syncSeconds: 60 });
    expect(await sync.whenReady()).toBe(false);
    expect(sync.isReady(Date.now())).toBe(false);
    expect(logs[0]?.message).toBe('revocations feed unreachable: refusing until it answers');
  });

  it('adds since to a feed URL that has a query of its own', async () => {
    const sync = createSync({ timers: false, url: `${idp.issuer}feeds/revocations?x=1` });
    await sync.refresh();
    await sync.refresh();
    expect(revocationRequests().map((r) => r.query)).toEqual([
      '?x=1',
      expect.stringMatching(/^\?x=1&since=\d+$/),
    ]);
  });
});

describe('polling on use (AWS Lambda: no timers)', () => {
  it('refreshes in the background past half the interval, and waits for a refresh past the whole interval', async () => {
    let clock = 1_000_000;
    const sync = createSync({ timers: false, syncSeconds: 10, now: () => clock });
    await sync.refresh();
    expect(revocationRequests()).toHaveLength(1);
    clock += 4999;
    expect(sync.isReady(clock)).toBe(true);
    expect(revocationRequests()).toHaveLength(1);
    clock += 1;
    expect(sync.isReady(clock)).toBe(true); // past half: a poll starts, the state still serves
    await vi.waitFor(() => expect(revocationRequests()).toHaveLength(2));
    clock += 10_001; // older than the interval: a decision must wait for a fresh state
    expect(sync.isReady(clock)).toBe(false);
    idp.feeds.revokeToken('late', 2e9);
    expect(await sync.whenReady()).toBe(true);
    expect(sync.isReady(clock)).toBe(true);
    expect(sync.isDenied(claims('late'), 'svc-a', 'k')).toBe(true);
  });

  it('serves the last state without waiting while the feed is unreachable', async () => {
    let clock = 1_000_000;
    const sync = createSync({ timers: false, syncSeconds: 10, now: () => clock });
    await sync.refresh();
    idp.feeds.setAvailable(false);
    clock += 20_000;
    expect(await sync.whenReady()).toBe(true);
    expect(sync.isReady(clock)).toBe(true);
    expect(logs.filter((l) => l.fields.code === 'ERR_FEED_UNREACHABLE')).toHaveLength(1);
  });
});
