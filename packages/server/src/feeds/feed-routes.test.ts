import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

interface Feed {
  cursor: string;
  full: boolean;
  tokens: { jti: string; aud: string; exp: number }[];
  cutoffs: { client_id: string; aud: string | null; at: number }[];
  keys: { kid: string; revoked_at: number }[];
}

let server: TestServer;
let app: ApiAndClient;

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function getFeed(query = '', headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/feeds/revocations${query}`, { headers });
  const text = await res.text();
  return { res, text, feed: text === '' ? undefined : (JSON.parse(text) as Feed) };
}

beforeAll(async () => {
  server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: '7' } });
  app = await server.createApiAndClient({ scopes: ['read:things', 'write:things'] });
});
afterAll(async () => {
  await server?.close();
});

describe('GET /feeds/revocations', () => {
  it('serves the whole list without since: tokens, cut-offs and keys, publicly cacheable', async () => {
    const token = await server.getToken(app);
    expect((await postForm(`${server.url}/oauth/revoke`, { token }, app)).status).toBe(200);
    const cut = await server.management('POST', `clients/${app.clientId}/revoke-tokens`, {
      audience: app.audience,
    });
    expect(cut.status).toBe(200);
    const { res, feed, text } = await getFeed();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=7');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{22}"$/);
    expect(feed?.full).toBe(true);
    expect(feed?.cursor).toMatch(/^\d+$/);
    expect(feed?.tokens).toContainEqual({
      jti: decode(token).jti,
      aud: app.audience,
      exp: decode(token).exp,
    });
    const revokedBefore = Date.parse(((await cut.json()) as { revoked_before: string }).revoked_before);
    expect(feed?.cutoffs).toContainEqual({ client_id: app.clientId, aud: app.audience, at: revokedBefore });
    expect(Object.keys(feed!).sort()).toEqual(['cursor', 'cutoffs', 'full', 'keys', 'tokens']);
    // Ids and times only: never a token, a secret or a private key.
    expect(text).not.toContain(token);
    expect(text).not.toContain(app.clientSecret);
  });

  it('answers only what came after a cursor, and nothing new for the latest one', async () => {
    const first = (await getFeed()).feed!;
    const latest = await getFeed(`?since=${first.cursor}`);
    expect(latest.feed).toEqual({ cursor: first.cursor, full: false, tokens: [], cutoffs: [], keys: [] });
    const token = await server.getToken(app);
    await postForm(`${server.url}/oauth/revoke`, { token }, app);
    const next = (await getFeed(`?since=${first.cursor}`)).feed!;
    expect(next.full).toBe(false);
    expect(Number(next.cursor)).toBe(Number(first.cursor) + 1);
    expect(next.tokens).toEqual([{ jti: decode(token).jti, aud: app.audience, exp: decode(token).exp }]);
    expect(next.cutoffs).toEqual([]);
  });

  it('answers 304 to If-None-Match with the current ETag, and 200 once something changed', async () => {
    const { feed, res } = await getFeed();
    const etag = res.headers.get('etag')!;
    const cursor = feed!.cursor;
    const incremental = await getFeed(`?since=${cursor}`);
    const incrementalTag = incremental.res.headers.get('etag')!;
    const same = await getFeed(`?since=${cursor}`, { 'if-none-match': incrementalTag });
    expect(same.res.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.res.headers.get('etag')).toBe(incrementalTag);
    expect(same.res.headers.get('cache-control')).toBe('public, max-age=7');
    expect((await getFeed('', { 'if-none-match': `W/${etag}, "other"` })).res.status).toBe(304);
    const token = await server.getToken(app);
    await postForm(`${server.url}/oauth/revoke`, { token }, app);
    const changed = await getFeed(`?since=${cursor}`, { 'if-none-match': incrementalTag });
    expect(changed.res.status).toBe(200);
    expect(changed.feed?.tokens.map((t) => t.jti)).toEqual([decode(token).jti]);
  });

  it('answers the whole list for a cursor it does not know', async () => {
    const all = (await getFeed()).feed!;
    for (const since of ['999999999', 'abc', '-1', '1.5', '']) {
      const { feed } = await getFeed(`?since=${encodeURIComponent(since)}`);
      expect(feed, since).toEqual({ ...all, full: true });
    }
  });
});

describe('GET /feeds/policy', () => {
  it('serves an API’s route policy (null when it has none) with an ETag', async () => {
    const res = await fetch(`${server.url}/feeds/policy?audience=${encodeURIComponent(app.audience)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=7');
    const body = (await res.json()) as { audience: string; routes: unknown; updated_at: number };
    expect(body).toEqual({ audience: app.audience, routes: null, updated_at: expect.any(Number) });
    const again = await fetch(`${server.url}/feeds/policy?audience=${encodeURIComponent(app.audience)}`, {
      headers: { 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('answers 404 for an unknown API and 400 without an audience', async () => {
    expect((await fetch(`${server.url}/feeds/policy?audience=https%3A%2F%2Fnowhere.test%2F`)).status).toBe(
      404,
    );
    expect((await fetch(`${server.url}/feeds/policy`)).status).toBe(400);
  });
});
