import { describe, expect, it } from 'vitest';
import { createTestUlid } from '../testing/test-ulid.ts';
import { createDenyList } from './deny-list.ts';
import type { RevocationFeed } from './revocation-feed.ts';

const AUD = 'https://contacts.example/';
const NOW = 1_795_617_163_500;

function feed(part: Partial<RevocationFeed>): RevocationFeed {
  return { cursor: '1', full: false, tokens: [], cutoffs: [], keys: [], ...part };
}

function token(issuedMs: number, extra: Record<string, unknown> = {}) {
  return { jti: createTestUlid(issuedMs), iat: Math.floor(issuedMs / 1000), exp: 2e9, aud: AUD, ...extra };
}

function createList(maxEntries?: number) {
  const warnings: Array<Record<string, unknown>> = [];
  const list = createDenyList({
    toleranceMs: 5000,
    maxEntries,
    logger: { info() {}, warn: (fields) => warnings.push(fields) },
  });
  return { list, warnings };
}

describe('the deny-list', () => {
  it('refuses a token issued 1 ms before a cut-off and accepts one issued 1 ms after, within one second', () => {
    const { list } = createList();
    const at = 1_795_617_163_500;
    list.apply(feed({ cutoffs: [{ client_id: 'svc-a', aud: AUD, at }] }), NOW);
    expect(list.isTokenDenied(token(at - 1), 'svc-a')).toBe(true);
    expect(list.isTokenDenied(token(at), 'svc-a')).toBe(false);
    expect(list.isTokenDenied(token(at + 1), 'svc-a')).toBe(false);
  });

  it('errs towards refusing when the issue time is only known to the second (iat)', () => {
    const { list } = createList();
    const at = 1_795_617_163_500;
    list.apply(feed({ cutoffs: [{ client_id: 'svc-a', aud: AUD, at }] }), NOW);
    // issued at .999 of the same second, but with a jti that is not a ULID: iat says .000
    expect(list.isTokenDenied({ jti: 'not-a-ulid', iat: 1_795_617_163, exp: 2e9, aud: AUD }, 'svc-a')).toBe(
      true,
    );
    expect(list.isTokenDenied({ jti: 'not-a-ulid', iat: 1_795_617_164, exp: 2e9, aud: AUD }, 'svc-a')).toBe(
      false,
    );
  });

  it('applies a cut-off to its audience only, and one without an audience to every audience', () => {
    const { list } = createList();
    list.apply(
      feed({
        cutoffs: [
          { client_id: 'svc-a', aud: AUD, at: NOW },
          { client_id: 'svc-b', aud: null, at: NOW },
        ],
      }),
      NOW,
    );
    const early = NOW - 10_000;
    expect(list.isTokenDenied(token(early, { aud: 'https://other.example/' }), 'svc-a')).toBe(false);
    expect(list.isTokenDenied(token(early, { aud: ['https://other.example/', AUD] }), 'svc-a')).toBe(true);
    expect(list.isTokenDenied(token(early, { aud: 'https://other.example/' }), 'svc-b')).toBe(true);
    expect(list.isTokenDenied(token(early), 'svc-c')).toBe(false);
  });

  it('keeps the latest cut-off of a client and audience', () => {
    const { list } = createList();
    list.apply(feed({ cutoffs: [{ client_id: 'svc-a', aud: AUD, at: NOW }] }), NOW);
    list.apply(feed({ cutoffs: [{ client_id: 'svc-a', aud: AUD, at: NOW - 60_000 }] }), NOW);
    expect(list.isTokenDenied(token(NOW - 1000), 'svc-a')).toBe(true);
  });

  it('refuses a revoked jti and knows a revoked key', () => {
    const { list } = createList();
    const revoked = token(NOW - 1000);
    list.apply(
      feed({ tokens: [{ jti: revoked.jti, aud: AUD, exp: 2e9 }], keys: [{ kid: 'k1', revoked_at: NOW }] }),
      NOW,
    );
    expect(list.isTokenDenied(revoked, 'svc-a')).toBe(true);
    expect(list.isTokenDenied(token(NOW - 1000), 'svc-a')).toBe(false);
    expect(list.isKeyRevoked('k1')).toBe(true);
    expect(list.isKeyRevoked('k2')).toBe(false);
  });

  it('drops a revoked token once it has expired beyond the clock tolerance', () => {
    const { list } = createList();
    const exp = Math.floor(NOW / 1000) + 10;
    list.apply(feed({ tokens: [{ jti: 'a', aud: AUD, exp }] }), NOW);
    list.apply(feed({}), exp * 1000 + 4999);
    expect(list.size()).toBe(1);
    list.apply(feed({}), exp * 1000 + 5000);
    expect(list.size()).toBe(0);
  });

  it('replaces its state with a full answer, keeping what the answer left out for the clock tolerance', () => {
    const { list } = createList();
    list.apply(
      feed({
        tokens: [
          { jti: 'a', aud: AUD, exp: 2e9 },
          { jti: 'b', aud: AUD, exp: 2e9 },
        ],
      }),
      NOW,
    );
    list.apply(feed({ full: true, tokens: [{ jti: 'b', aud: AUD, exp: 2e9 }] }), NOW);
    expect(list.isTokenDenied({ jti: 'a', iat: 1, exp: 2e9 }, 'x')).toBe(true);
    list.apply(feed({}), NOW + 5000);
    expect(list.isTokenDenied({ jti: 'a', iat: 1, exp: 2e9 }, 'x')).toBe(false);
    expect(list.isTokenDenied({ jti: 'b', iat: 1, exp: 2e9 }, 'x')).toBe(true);
  });

  it('holds at most maxEntries, dropping those expiring soonest and saying so', () => {
    const { list, warnings } = createList(100);
    const tokens = Array.from({ length: 150 }, (_, i) => ({
      jti: `t${i}`,
      aud: AUD,
      exp: 1_900_000_000 + i,
    }));
    list.apply(feed({ tokens }), NOW);
    expect(list.size()).toBeLessThanOrEqual(100);
    expect(list.isTokenDenied({ jti: 't149', iat: 1, exp: 2e9 }, 'x')).toBe(true);
    expect(list.isTokenDenied({ jti: 't0', iat: 1, exp: 2e9 }, 'x')).toBe(false);
    expect(warnings).toEqual([expect.objectContaining({ code: 'ERR_DENY_LIST_FULL', maxEntries: 100 })]);
    // a steady trickle does not evict on every answer
    list.apply(feed({ tokens: [{ jti: 'late', aud: AUD, exp: 2e9 }] }), NOW);
    expect(warnings).toHaveLength(1);
  });
});
