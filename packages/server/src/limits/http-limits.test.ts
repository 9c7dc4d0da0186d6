/**
 * The server's HTTP limits over real HTTP: security headers on every answer, HSTS behind an HTTPS
 * issuer, CORS closed by default and open per configured origin, body and header size, slow
 * clients, the bound on requests in progress, and the optional rate limit on successful requests.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function expectSecured(res: Response): void {
  for (const [name, value] of Object.entries(SECURITY)) expect(res.headers.get(name), name).toBe(value);
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-powered-by')).toBeNull();
}

const form = (c: ApiAndClient) =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    audience: c.audience,
  });

/** Sends raw bytes and answers the first response's status line (or '' when the server closed first). */
function raw(
  url: string,
  bytes: string,
  opts: { holdMs?: number } = {},
): Promise<{ status: number; socket: Socket }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) resolve({ status: Number(m[1]), socket });
    });
    socket.on('close', () => resolve({ status: 0, socket }));
    socket.on('error', reject);
    if (opts.holdMs !== undefined) socket.setTimeout(opts.holdMs, () => socket.destroy());
  });
}

describe('HTTP limits with the defaults', () => {
  let server: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = await server.createApiAndClient();
  });
  afterAll(() => server.close());

  it('puts the security headers on every answer, success or error, JSON or HTML', async () => {
    const answers = await Promise.all([
      fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) }),
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      }),
      fetch(`${server.url}/oauth/token`),
      fetch(`${server.url}/.well-known/jwks.json`),
      fetch(`${server.url}/api/v2/clients`),
      fetch(`${server.url}/no/such/path`),
      fetch(`${server.url}/docs`),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 401, 405, 200, 401, 404, 200]);
    for (const res of answers) expectSecured(res);
    expect(answers[0]!.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends no CORS header to any origin unless origins are configured (public documents aside)', async () => {
    for (const path of ['/api/v2/clients', '/nothing-here']) {
      const res = await fetch(`${server.url}${path}`, { headers: { origin: 'https://app.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    // The JWKS and discovery documents are public by design: any origin may read them.
    const jwks = await fetch(`${server.url}/.well-known/jwks.json`, {
      headers: { origin: 'https://app.example' },
    });
    expect(jwks.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`${server.url}/oauth/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.status).toBeLessThan(500);
  });

  it('refuses a token request body over 16 KiB with 413 in the OAuth error shape', async () => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&scope=${'a'.repeat(17 * 1024)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('larger'),
    });
  });

  it('refuses a Management API body over 256 KiB with 413 in the Auth0 error shape', async () => {
    const res = await fetch(`${server.url}/api/v2/clients`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await server.managementToken()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'x'.repeat(300 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ statusCode: 413, errorCode: 'payload_too_large' });
  });

  it('refuses request headers over 16 KiB with 431', async () => {
    const res = await fetch(`${server.url}/.well-known/jwks.json`, {
      headers: { 'x-big': 'a'.repeat(20 * 1024) },
    });
    expect(res.status).toBe(431);
  });

  it('rejects bad limit settings at start, naming the variable', () => {
    expect(() => loadConfig({ GATEHOUSE_CORS_ORIGINS: 'https://a.example/path' })).toThrow(
      /GATEHOUSE_CORS_ORIGINS/,
    );
    expect(() => loadConfig({ GATEHOUSE_RATE_LIMIT_PER_CLIENT: '10 per minute' })).toThrow(
      /GATEHOUSE_RATE_LIMIT_PER_CLIENT/,
    );
    expect(() => loadConfig({ GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '-1' })).toThrow(
      /GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES/,
    );
    expect(() => loadConfig({ GATEHOUSE_MAX_HEADER_BYTES: '10' })).toThrow(/GATEHOUSE_MAX_HEADER_BYTES/);
    expect(loadConfig({}).limits.ratePerClient).toBeUndefined();
    expect(loadConfig({ GATEHOUSE_RATE_LIMIT_PER_CLIENT: '600/60' }).limits.ratePerClient).toEqual({
      max: 600,
      windowMs: 60_000,
    });
  });
});

describe('HTTP limits when configured', () => {
  let server: TestServer;
  let client: ApiAndClient;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        GATEHOUSE_ISSUER: 'https://auth.example.test/',
        GATEHOUSE_CORS_ORIGINS: 'https://app.example, http://localhost:5173',
        GATEHOUSE_MAX_CONCURRENT_REQUESTS: '2',
        GATEHOUSE_HEADERS_TIMEOUT_SECONDS: '1',
        GATEHOUSE_RATE_LIMIT_PER_CLIENT: '3/60',
      },
    });
    client = await server.createApiAndClient();
  });
  afterAll(() => server.close());

  it('sends HSTS on every answer when the issuer is HTTPS', async () => {
    for (const path of ['/.well-known/jwks.json', '/nothing-here']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expectSecured(res);
    }
  });

  it('allows exactly the configured origins, preflight included', async () => {
    const ok = await fetch(`${server.url}/api/v2/clients`, { headers: { origin: 'https://app.example' } });
    expect(ok.status).toBe(401);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expectSecured(ok);
    const preflight = await fetch(`${server.url}/oauth/token`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await fetch(`${server.url}/api/v2/clients`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits successful token requests per client with 429 and Retry-After when configured', async () => {
    // The Management API token taken by createApiAndClient belongs to another client.
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) })).status).toBe(
        200,
      );
    }
    const limited = await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({
      error: 'too_many_requests',
      error_description: expect.any(String),
    });
  });

  it('closes a client that does not finish its headers in time with 408', async () => {
    const { status, socket } = await raw(server.url, 'GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n', {
      holdMs: 10_000,
    });
    socket.destroy();
    expect(status).toBe(408);
  });

  it('answers 503 with Retry-After beyond the requests in progress it allows', async () => {
    // Two token requests whose bodies never finish hold both places.
    const hold = () =>
      raw(
        server.url,
        'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
        { holdMs: 10_000 },
      );
    const held = [hold(), hold()];
    await expect
      .poll(async () => {
        const res = await fetch(`${server.url}/oauth/token`, { method: 'POST', body: form(client) });
        return { status: res.status, retry: res.headers.get('retry-after'), body: await res.json() };
      })
      .toEqual({
        status: 503,
        retry: '1',
        body: { error: 'temporarily_unavailable', error_description: expect.any(String) },
      });
    const busy = await fetch(`${server.url}/api/v2/clients`);
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ statusCode: 503 });
    for (const h of held) void h.then(({ socket }) => socket.destroy());
    // The held sockets are cut by the test end; they never got an answer.
  });
});
