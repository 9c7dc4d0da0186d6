/**
 * `policy: 'remote'`: the authorizer follows the API's `routes` on a real HTTP test issuer's policy
 * feed, applying changes without a restart and failing closed when it has none.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Authorizer, createAuthorizer } from '../authorizer/create-authorizer.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';

let idp: TestIssuer;
let read: string;
const authorizers: Authorizer[] = [];
const routes = [
  { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
  { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
];

beforeAll(async () => {
  idp = await startTestIssuer();
  read = await idp.mint({ scope: 'read:contacts' });
});
afterEach(() => {
  for (const a of authorizers.splice(0)) a.close();
  idp.feeds.setAvailable(true);
  idp.feeds.setPolicy(null);
});
afterAll(async () => {
  await idp.close();
});

function create(logs: string[] = [], audience = idp.audience) {
  const authorizer = createAuthorizer({
    issuer: idp.issuer,
    audience,
    policy: 'remote',
    syncSeconds: 0.1,
    logger: { info() {}, warn: (fields) => logs.push(String(fields.code)) },
  });
  authorizers.push(authorizer);
  return authorizer;
}

async function status(authorizer: Authorizer, method: string, path: string, token = read) {
  const result = await authorizer.authorize({ method, path, authorization: `Bearer ${token}` });
  return result.ok ? 200 : result.error.status;
}

describe("an authorizer with policy: 'remote'", () => {
  it('applies the served policy, and each change to it without a restart', async () => {
    idp.feeds.setPolicy(routes);
    const authorizer = create();
    expect(await status(authorizer, 'GET', '/contacts')).toBe(200);
    expect(await status(authorizer, 'POST', '/contacts')).toBe(403);
    expect(await status(authorizer, 'GET', '/elsewhere')).toBe(403);
    // tightened: reading now needs write:contacts
    idp.feeds.setPolicy([{ method: 'GET', path: '/contacts', scopes: ['write:contacts'] }]);
    await vi.waitFor(async () => expect(await status(authorizer, 'GET', '/contacts')).toBe(403), {
      timeout: 3000,
    });
    // loosened again
    idp.feeds.setPolicy(routes);
    await vi.waitFor(async () => expect(await status(authorizer, 'GET', '/contacts')).toBe(200), {
      timeout: 3000,
    });
  });

  it('polls with If-None-Match, so an unchanged policy costs a 304', async () => {
    idp.feeds.setPolicy(routes);
    const authorizer = create();
    await authorizer.refresh();
    const policyRequests = () => idp.feeds.requests.filter((r) => r.feed === 'policy');
    await vi.waitFor(
      () => expect(policyRequests().filter((r) => r.status === 304).length).toBeGreaterThan(2),
      {
        timeout: 3000,
      },
    );
    expect(policyRequests().at(-1)?.query).toBe(`?audience=${encodeURIComponent(idp.audience)}`);
  });

  it('answers 503 before the policy could be fetched, however good the token', async () => {
    idp.feeds.setPolicy(routes);
    idp.feeds.setAvailable(false, 'policy');
    const authorizer = create();
    expect(authorizer.policy()).toBeUndefined();
    const result = await authorizer.authorize({
      method: 'GET',
      path: '/contacts',
      authorization: `Bearer ${read}`,
    });
    expect(result).toMatchObject({ ok: false, error: { status: 503, code: 'ERR_POLICY_UNAVAILABLE' } });
    // a caller without a token still learns nothing about routes
    expect(await status(authorizer, 'GET', '/contacts', 'x.y.z')).toBe(401);
  });

  it('denies every route (403) when the API carries no routes, and says so once', async () => {
    const logs: string[] = [];
    const authorizer = create(logs);
    expect(await status(authorizer, 'GET', '/contacts')).toBe(403);
    expect(await status(authorizer, 'POST', '/contacts')).toBe(403);
    await authorizer.refresh();
    expect(logs.filter((code) => code === 'ERR_POLICY_EMPTY')).toHaveLength(1);
  });

  it('answers 503 for an API the server does not know', async () => {
    const logs: string[] = [];
    const authorizer = create(logs, 'https://unknown.example/');
    const token = await idp.mint({ aud: 'https://unknown.example/' });
    expect(await status(authorizer, 'GET', '/contacts', token)).toBe(503);
    expect(logs).toContain('ERR_POLICY_UNKNOWN_API');
  });

  it('keeps the last good policy while the feed is down or serves a policy it refuses', async () => {
    const logs: string[] = [];
    idp.feeds.setPolicy(routes);
    const authorizer = create(logs);
    expect(await status(authorizer, 'GET', '/contacts')).toBe(200);
    idp.feeds.setPolicy([{ method: 'GET', path: 'no-slash', scopes: [] }]);
    await vi.waitFor(() => expect(logs).toContain('ERR_FEED_UNREACHABLE'), { timeout: 3000 });
    expect(await status(authorizer, 'GET', '/contacts')).toBe(200);
    idp.feeds.setPolicy([{ method: 'GET', path: '/contacts', scopes: ['write:contacts'] }]);
    await vi.waitFor(async () => expect(await status(authorizer, 'GET', '/contacts')).toBe(403), {
      timeout: 3000,
    });
    idp.feeds.setAvailable(false, 'policy');
    idp.feeds.setPolicy(routes);
    const refused = () => idp.feeds.requests.filter((r) => r.feed === 'policy' && r.status === 503).length;
    await vi.waitFor(() => expect(refused()).toBeGreaterThan(2), { timeout: 3000 });
    expect(await status(authorizer, 'GET', '/contacts')).toBe(403);
  });

  it('needs exactly one audience', () => {
    expect(() => createAuthorizer({ issuer: idp.issuer, audience: ['a', 'b'], policy: 'remote' })).toThrow(
      /one audience/,
    );
  });
});
