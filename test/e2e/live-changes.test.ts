/**
 * Changes made at the centre reach the edge while it runs (issue 6): the real authorization server
 * (`startTestServer`, SQLite) and the real contacts service (`serveContacts`, its authorizer polling
 * the feeds every GATEHOUSE_SYNC_SECONDS = 1), over real HTTP on loopback. Each change must be
 * enforced within the interval plus one second of the Management API (or RFC 7009) call returning,
 * with no restart of anything; key and secret rotation under a bounded load fail no request; an
 * authorizer cut off from the server keeps its last state and catches up when it reconnects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHonoMiddleware } from '@gatehouse/authorizer/hono';
import {
  CONTACTS_ROUTE_POLICY,
  CONTACTS_SCOPES,
  loadConfig,
  type RunningContactsService,
  type RunningServer,
  serveContacts,
  startServer,
} from '@gatehouse/contacts';
import { ageNextSigningKeys, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { Hono } from 'hono';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../../packages/authorizer/src/testing/tcp-proxy.ts';

const SYNC_SECONDS = 1;
/** DESIGN.md: a change is enforced by every authorizer within the interval plus one second. */
const ENFORCED_WITHIN_MS = SYNC_SECONDS * 1000 + 1000;

interface Client {
  clientId: string;
  clientSecret: string;
  grantId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `holds` until it is true; fails when that takes longer than `ms` from now. */
async function holdsWithin(ms: number, holds: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await holds()) return;
    if (Date.now() > deadline) throw new Error(`not enforced within ${ms} ms`);
    await sleep(50);
  }
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A server with the contacts API (its `routes` the contacts policy) and a way to add clients. */
async function provision(server: TestServer, audience: string) {
  const api = await json(
    await server.management('POST', 'resource-servers', {
      identifier: audience,
      name: 'Contacts API',
      scopes: CONTACTS_SCOPES,
      routes: CONTACTS_ROUTE_POLICY.routes,
    }),
  );
  const client = async (scope: string[], tokenLifetime?: number): Promise<Client> => {
    const created = await json(await server.management('POST', 'clients', { name: `client ${scope}` }));
    const grant = await json(
      await server.management('POST', 'client-grants', {
        client_id: created.client_id,
        audience,
        scope,
        ...(tokenLifetime === undefined ? {} : { token_lifetime: tokenLifetime }),
      }),
    );
    return {
      clientId: String(created.client_id),
      clientSecret: String(created.client_secret),
      grantId: String(grant.id),
    };
  };
  return { apiId: String(api.id), client };
}

/** A token by client_secret_basic; throws with the answer otherwise. */
async function tokenFor(server: TestServer, audience: string, id: string, secret: string): Promise<string> {
  const res = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
  });
  return String((await json(res)).access_token);
}

describe('live changes reach the contacts service within the sync interval plus one second', () => {
  const audience = 'https://contacts.live.test/';
  let server: TestServer;
  let contacts: RunningContactsService;
  let dataDir: string;
  let add: Awaited<ReturnType<typeof provision>>['client'];
  let apiId: string;

  const call = (method: string, path: string, token: string) =>
    fetch(`${contacts.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify({ name: 'Ada' }) } : {}),
    }).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });
  const token = (c: Client) => tokenFor(server, audience, c.clientId, c.clientSecret);

  beforeAll(async () => {
    server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS) } });
    ({ client: add, apiId } = await provision(server, audience));
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-live-'));
    contacts = await serveContacts(
      loadConfig({
        CONTACTS_PORT: '0',
        GATEHOUSE_ISSUER: server.issuer,
        CONTACTS_AUDIENCE: audience,
        CONTACTS_DATA_DIR: dataDir,
        CONTACTS_POLICY: 'remote',
        GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS),
        CONTACTS_LOG_LEVEL: 'silent',
      }),
      { write() {} },
    );
  }, 30_000);

  afterAll(async () => {
    await contacts?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refreshes the JWKS every interval with If-None-Match: unchanged keys cost the server a 304', async () => {
    const jwksAnswers = () =>
      server.logs
        .map((line) => JSON.parse(line) as { route?: string; status?: number })
        .filter((entry) => entry.route === '/.well-known/jwks.json')
        .map((entry) => entry.status);
    await holdsWithin(SYNC_SECONDS * 3000, async () => jwksAnswers().includes(304));
    expect(jwksAnswers()[0]).toBe(200);
  });

  it('refuses the outstanding Write token once its grant loses write:contacts', async () => {
    const writer = await add(['read:contacts', 'write:contacts']);
    const before = await token(writer);
    expect(await call('POST', '/contacts', before)).toBe(201);
    await json(
      await server.management('PATCH', `client-grants/${writer.grantId}`, { scope: ['read:contacts'] }),
    );
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('POST', '/contacts', before)) === 401);
    // a new token carries only what the grant now allows
    const after = await token(writer);
    expect(await call('POST', '/contacts', after)).toBe(403);
    expect(await call('GET', '/contacts', after)).toBe(200);
  });

  it('refuses the tokens of a client once it is disabled', async () => {
    const writer = await add(['read:contacts', 'write:contacts']);
    const outstanding = await token(writer);
    expect(await call('POST', '/contacts', outstanding)).toBe(201);
    await json(await server.management('PATCH', `clients/${writer.clientId}`, { disabled: true }));
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('POST', '/contacts', outstanding)) === 401);
    expect(await call('GET', '/contacts', outstanding)).toBe(401);
  });

  it('refuses a token its own client revoked (RFC 7009), and no other token of that client', async () => {
    const writer = await add(['read:contacts', 'write:contacts']);
    const revoked = await token(writer);
    const other = await token(writer);
    expect(await call('POST', '/contacts', revoked)).toBe(201);
    const res = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${writer.clientId}:${writer.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: revoked, token_type_hint: 'access_token' }),
    });
    expect(res.status).toBe(200);
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('POST', '/contacts', revoked)) === 401);
    expect(await call('POST', '/contacts', other)).toBe(201);
  });

  it('refuses a token an administrator put on the deny-list (Management API blacklist)', async () => {
    const writer = await add(['read:contacts', 'write:contacts']);
    const listed = await token(writer);
    expect(await call('POST', '/contacts', listed)).toBe(201);
    const { jti } = decodeJwt(listed);
    const res = await server.management('POST', 'blacklists/tokens', { aud: audience, jti });
    expect(res.status).toBeLessThan(300);
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('POST', '/contacts', listed)) === 401);
  });

  it('tightens and loosens a route’s scope from the server’s policy, without a restart', async () => {
    const reader = await add(['read:contacts']);
    const read = await token(reader);
    expect(await call('GET', '/contacts', read)).toBe(200);
    const tightened = CONTACTS_ROUTE_POLICY.routes.map((r) =>
      r.method === 'GET' && r.path === '/contacts' ? { ...r, scopes: ['write:contacts'] } : r,
    );
    await json(await server.management('PATCH', `resource-servers/${apiId}`, { routes: tightened }));
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('GET', '/contacts', read)) === 403);
    expect(await call('GET', '/contacts/c1', read)).not.toBe(403); // other routes unchanged
    await json(
      await server.management('PATCH', `resource-servers/${apiId}`, { routes: CONTACTS_ROUTE_POLICY.routes }),
    );
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('GET', '/contacts', read)) === 200);
  });

  it('refuses every token of a revoked signing key, and accepts the next key’s at once', async () => {
    const reader = await add(['read:contacts']);
    const old = await token(reader);
    expect(await call('GET', '/contacts', old)).toBe(200);
    const { kid } = decodeProtectedHeader(old);
    await json(await server.management('PUT', `keys/signing/${kid}/revoke`));
    await holdsWithin(ENFORCED_WITHIN_MS, async () => (await call('GET', '/contacts', old)) === 401);
    const fresh = await token(reader);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(kid);
    expect(await call('GET', '/contacts', fresh)).toBe(200);
  });

  it('rotates signing keys and a client secret (with grace) under load without one failed request', async () => {
    const LOOPS = 20;
    const RUN_MS = 10_000;
    // short-lived tokens, so the loops fetch new ones (signed with the newest key) throughout
    const client = await add(['read:contacts'], 2);
    let newSecret: string | undefined;
    const kids = new Set<string>();
    const failures: string[] = [];
    let requests = 0;
    let tokensWithNewSecret = 0;
    let stop = false;

    const loop = async (i: number) => {
      let bearer = '';
      let fetchedAt = 0;
      while (!stop) {
        // half the loops move to the new secret once there is one; the others keep the old one (grace)
        const secret = i % 2 === 0 && newSecret !== undefined ? newSecret : client.clientSecret;
        if (Date.now() - fetchedAt > 500) {
          try {
            bearer = await tokenFor(server, audience, client.clientId, secret);
            fetchedAt = Date.now();
            kids.add(String(decodeProtectedHeader(bearer).kid));
            if (secret === newSecret) tokensWithNewSecret++;
          } catch (error) {
            failures.push(`token: ${(error as Error).message}`);
            await sleep(50);
            continue;
          }
        }
        const status = await call('GET', '/contacts?limit=1', bearer).catch((error: Error) => error.message);
        requests++;
        if (status !== 200) failures.push(`GET /contacts: ${status}`);
      }
    };

    const running = Array.from({ length: LOOPS }, (_, i) => loop(i));
    await sleep(2000);
    // `next` keys aged as on a server that has run a while, so each rotation's key signs at once
    await ageNextSigningKeys(server);
    await json(await server.management('POST', 'keys/signing/rotate'));
    await sleep(2000);
    const rotated = await json(
      await server.management('POST', `clients/${client.clientId}/rotate-secret`, {
        grace_period_seconds: 60,
      }),
    );
    newSecret = String(rotated.client_secret);
    expect(rotated.previous_secret_expires_at).toEqual(expect.any(String));
    await sleep(2000);
    // a second rotation promotes the key published at the first: authorizers learn it from the JWKS
    await ageNextSigningKeys(server);
    await json(await server.management('POST', 'keys/signing/rotate'));
    await sleep(RUN_MS - 6000);
    stop = true;
    await Promise.all(running);

    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(LOOPS * 5);
    expect(kids.size).toBeGreaterThanOrEqual(3);
    expect(tokensWithNewSecret).toBeGreaterThan(0);
  }, 30_000);
});

describe('an authorizer cut off from the server', () => {
  const audience = 'https://contacts.cutoff.test/';

  it('keeps serving known keys and the last deny-list while the server is down, and says so once', async () => {
    const server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS) } });
    const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-down-'));
    const lines: string[] = [];
    let contacts: RunningContactsService | undefined;
    let serverUp = true;
    try {
      const { client } = await provision(server, audience);
      contacts = await serveContacts(
        loadConfig({
          CONTACTS_PORT: '0',
          GATEHOUSE_ISSUER: server.issuer,
          CONTACTS_AUDIENCE: audience,
          CONTACTS_DATA_DIR: dataDir,
          GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS),
          CONTACTS_LOG_LEVEL: 'warn',
        }),
        { write: (line: string) => void lines.push(line) },
      );
      const reader = await client(['read:contacts']);
      const good = await tokenFor(server, audience, reader.clientId, reader.clientSecret);
      const revoked = await tokenFor(server, audience, reader.clientId, reader.clientSecret);
      const get = (t: string) =>
        fetch(`${contacts?.url}/contacts`, { headers: { authorization: `Bearer ${t}` } }).then(
          (r) => r.status,
        );
      expect(await get(good)).toBe(200);
      await json(
        await server.management('POST', 'blacklists/tokens', { aud: audience, jti: decodeJwt(revoked).jti }),
      );
      await holdsWithin(ENFORCED_WITHIN_MS, async () => (await get(revoked)) === 401);

      await server.close();
      serverUp = false;
      const outage = () => lines.filter((l) => l.includes('ERR_FEED_UNREACHABLE'));
      await holdsWithin(10_000, async () => outage().length > 0);
      // several polls fail meanwhile; the outage is still one line, and nothing changes at the edge
      await sleep(3 * SYNC_SECONDS * 1000);
      expect(outage()).toHaveLength(1);
      expect(lines.filter((l) => l.includes('ERR_JWKS_REFRESH_FAILED')).length).toBeLessThanOrEqual(1);
      expect(outage()[0]).toContain('keeping the last known state');
      expect(await get(good)).toBe(200);
      expect(await get(revoked)).toBe(401);
      expect(lines.join('\n')).not.toContain(good); // no token in a log line
    } finally {
      await contacts?.close();
      if (serverUp) await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('applies a revocation made while it was cut off as soon as it reconnects', async () => {
    const server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: String(SYNC_SECONDS) } });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
    let app: RunningServer | undefined;
    const warnings: string[] = [];
    const middleware = createHonoMiddleware({
      issuer: server.issuer,
      audience,
      policy: CONTACTS_ROUTE_POLICY,
      syncSeconds: SYNC_SECONDS,
      logger: { info() {}, warn: (fields) => void warnings.push(String(fields.code)) },
      // the edge reaches the server only through the proxy
      jwksUri: `${proxy.url}/.well-known/jwks.json`,
      revocationFeed: `${proxy.url}/feeds/revocations`,
    });
    try {
      const { client } = await provision(server, audience);
      const hono = new Hono();
      hono.use('*', middleware);
      hono.get('/contacts', (c) => c.json({ items: [] }));
      app = await startServer(hono, { port: 0, host: '127.0.0.1' });
      const reader = await client(['read:contacts']);
      const bearer = await tokenFor(server, audience, reader.clientId, reader.clientSecret);
      const get = () =>
        fetch(`${app?.url}/contacts`, { headers: { authorization: `Bearer ${bearer}` } }).then(
          (r) => r.status,
        );
      expect(await get()).toBe(200);

      proxy.pause();
      await holdsWithin(10_000, async () => warnings.includes('ERR_FEED_UNREACHABLE'));
      await json(
        await server.management('POST', 'blacklists/tokens', { aud: audience, jti: decodeJwt(bearer).jti }),
      );
      // cut off, the edge cannot know: it keeps deciding with what it had
      await holdsWithin(10_000, async () => proxy.refused() > 2);
      expect(await get()).toBe(200);

      proxy.resume();
      await holdsWithin(ENFORCED_WITHIN_MS, async () => (await get()) === 401);
    } finally {
      middleware.authorizer.close();
      await app?.close();
      await proxy.close();
      await server.close();
    }
  }, 30_000);
});
