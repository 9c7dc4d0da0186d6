import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createSecretHasher } from '../keys/client-secret.ts';
import { loadKek } from '../keys/kek.ts';
import { createKeyRing } from '../keys/key-ring.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** Signs in; answers the session cookie (name=value) and the CSRF token. */
async function signIn(clientId: string, clientSecret: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
  });
  const body = (await res.json()) as { csrf_token?: string; errorCode?: string };
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_console='));
  return { res, body, cookie: setCookie?.split(';')[0] ?? '', setCookie };
}

describe('console sign-in and session', () => {
  it('signs in with the admin credential into an HttpOnly SameSite=Strict cookie that works on /api/v2 with the CSRF header', async () => {
    const { res, body, cookie, setCookie } = await signIn(server.admin.clientId, server.admin.clientSecret);
    expect(res.status).toBe(201);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/); // http issuer in tests
    expect(JSON.stringify(body)).not.toContain(server.admin.clientSecret);
    expect(cookie).not.toContain(server.admin.clientSecret);
    const list = await fetch(`${server.url}/api/v2/clients`, {
      headers: { cookie, 'x-csrf-token': body.csrf_token ?? '' },
    });
    expect(list.status).toBe(200);
    expect(list.headers.getSetCookie().some((c) => c.startsWith('gatehouse_console='))).toBe(true);
    const info = await fetch(`${server.url}/admin/session`, { headers: { cookie } });
    expect(((await info.json()) as { client_id: string }).client_id).toBe(server.admin.clientId);
  });

  it('refuses a session call without the CSRF token, with a wrong one, or from another origin', async () => {
    const { body, cookie } = await signIn(server.admin.clientId, server.admin.clientSecret);
    const missing = await fetch(`${server.url}/api/v2/clients`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { errorCode: string }).errorCode).toBe('csrf_token_missing');
    const wrong = await fetch(`${server.url}/api/v2/clients`, {
      headers: { cookie, 'x-csrf-token': 'A'.repeat(43) },
    });
    expect(((await wrong.json()) as { errorCode: string }).errorCode).toBe('csrf_token_mismatch');
    const other = await fetch(`${server.url}/api/v2/clients`, {
      headers: { cookie, 'x-csrf-token': body.csrf_token ?? '', origin: 'https://evil.example' },
    });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { errorCode: string }).errorCode).toBe('cross_site_request');
    const crossSite = await signIn(server.admin.clientId, server.admin.clientSecret, {
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.res.status).toBe(403);
  });

  it('refuses a tampered session cookie', async () => {
    const { body, cookie } = await signIn(server.admin.clientId, server.admin.clientSecret);
    const tampered = `${cookie.slice(0, -4)}AAAA`;
    const res = await fetch(`${server.url}/api/v2/clients`, {
      headers: { cookie: tampered, 'x-csrf-token': body.csrf_token ?? '' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errorCode: string }).errorCode).toBe('invalid_session');
  });

  it('answers a wrong secret with 401 and a client without a Management API grant with 403', async () => {
    const wrong = await signIn(server.admin.clientId, 'not-the-secret');
    expect(wrong.res.status).toBe(401);
    expect(wrong.body.errorCode).toBe('invalid_credentials');
    expect(wrong.setCookie).toBeUndefined();
    const { clientId, clientSecret } = await server.createApiAndClient();
    const plain = await signIn(clientId, clientSecret);
    expect(plain.res.status).toBe(403);
    expect(plain.body.errorCode).toBe('not_an_administrator');
  });

  it('signs out: the session token is deny-listed, so a kept copy of the cookie no longer works', async () => {
    const { body, cookie } = await signIn(server.admin.clientId, server.admin.clientSecret);
    const headers = { cookie, 'x-csrf-token': body.csrf_token ?? '' };
    const noCsrf = await fetch(`${server.url}/admin/session`, { method: 'DELETE', headers: { cookie } });
    expect(noCsrf.status).toBe(403);
    const out = await fetch(`${server.url}/admin/session`, { method: 'DELETE', headers });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/gatehouse_console=;.*Max-Age=0/);
    const after = await fetch(`${server.url}/api/v2/clients`, { headers });
    expect(after.status).toBe(401);
  });

  it('rate-limits failed sign-ins with 429 and Retry-After, without locking the admin out from another address', async () => {
    // startTestServer turns the lockout off; this test needs the production defaults.
    const limited = await startTestServer({
      env: {
        GATEHOUSE_TRUST_PROXY_HOPS: '1',
        GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '20',
        GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '5',
        GATEHOUSE_LOCKOUT_CLIENT_FAILURES: '100',
      },
    });
    try {
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      let last: Awaited<ReturnType<typeof signIn>> | undefined;
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${limited.url}/admin/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...from('203.0.113.7') },
          body: JSON.stringify({ client_id: limited.admin.clientId, client_secret: `guess-${i}` }),
        });
        last = { res, body: (await res.json()) as { errorCode?: string }, cookie: '', setCookie: undefined };
      }
      expect(last?.res.status).toBe(429);
      expect(Number(last?.res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.body.errorCode).toBe('too_many_attempts');
      const real = await fetch(`${limited.url}/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...from('198.51.100.20') },
        body: JSON.stringify({
          client_id: limited.admin.clientId,
          client_secret: limited.admin.clientSecret,
        }),
      });
      expect(real.status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('serves the console with a strict CSP and no inline script', async () => {
    const res = await fetch(`${server.url}/admin/`);
    expect([200, 503]).toContain(res.status);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const redirect = await fetch(`${server.url}/admin`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
  });

  it('answers a clear page, not a 500, when the console was not built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-console-'));
    const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    try {
      await store.migrate();
      const kek = await loadKek({ dataDir: dir });
      const app = createApp({
        issuer: 'http://localhost:4000/',
        store,
        keyRing: createKeyRing({ store, kek }),
        hasher: createSecretHasher(kek.deriveKey('client-secret')),
        logger: createLogger({ level: 'silent' }),
        metrics: createMetrics(),
        console: { assetsDir: join(dir, 'no-console-here') },
      });
      const res = await app.request('/admin/');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await res.text()).toContain('The admin console has not been built');
      expect((await app.request('/admin/assets/index.js')).status).toBe(404);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
