import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DiscoveryError,
  TokenClientClosedError,
  TokenClientConfigError,
  TokenEndpointUnavailableError,
  TokenRequestError,
} from './errors.ts';
import { createTokenClient, type TokenClient } from './token-client.ts';

/** A tiny HTTP server on 127.0.0.1 whose behaviour each test scripts. */
interface Scripted {
  url: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

const servers: Server[] = [];
const clients: TokenClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

async function scripted(handler: Handler): Promise<Scripted> {
  const requests: Scripted['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      handler(req, res, body, requests.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: async () => {} };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

let issued = 0;
function grant(res: ServerResponse, expiresIn = 3600): void {
  issued++;
  json(res, 200, {
    access_token: `token-${issued}`,
    token_type: 'Bearer',
    expires_in: expiresIn,
    scope: 'read:contacts',
  });
}

const SECRET = 'super-secret-value-that-must-never-leak-0123456789';
const fastRetry = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

function client(
  tokenEndpoint: string,
  extra: Partial<Parameters<typeof createTokenClient>[0]> = {},
): TokenClient {
  const c = createTokenClient({
    tokenEndpoint,
    clientId: 'read-service',
    clientSecret: SECRET,
    audience: 'https://contacts.gatehouse.local/',
    retry: fastRetry,
    ...extra,
  });
  clients.push(c);
  return c;
}

describe('token client: requests', () => {
  it('posts a client_credentials form with Basic authentication, audience and scope', async () => {
    const as = await scripted((_req, res) => grant(res));
    const c = client(`${as.url}/oauth/token`, {
      scope: ['read:contacts', 'write:contacts'],
      clientId: 'id with:colon',
    });
    expect(await c.getToken()).toMatch(/^token-/);
    const [req] = as.requests;
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      grant_type: 'client_credentials',
      audience: 'https://contacts.gatehouse.local/',
      scope: 'read:contacts write:contacts',
    });
    const basic = Buffer.from(String(req?.headers.authorization).replace(/^Basic /, ''), 'base64').toString();
    expect(basic).toBe(`id+with%3Acolon:${SECRET}`);
  });

  it('can send the credentials in the body (client_secret_post) and a resource indicator', async () => {
    const as = await scripted((_req, res) => grant(res));
    const c = client(`${as.url}/token`, {
      authMethod: 'client_secret_post',
      audience: undefined,
      resource: 'urn:api',
    });
    await c.getToken();
    const [req] = as.requests;
    expect(req?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      grant_type: 'client_credentials',
      resource: 'urn:api',
      client_id: 'read-service',
      client_secret: SECRET,
    });
  });

  it('refuses options without exactly one of issuer and tokenEndpoint, or without credentials', () => {
    expect(() => createTokenClient({ clientId: 'a', clientSecret: 'b' })).toThrow(TokenClientConfigError);
    expect(() =>
      createTokenClient({
        issuer: 'http://a/',
        tokenEndpoint: 'http://a/t',
        clientId: 'a',
        clientSecret: 'b',
      }),
    ).toThrow(TokenClientConfigError);
    expect(() => createTokenClient({ tokenEndpoint: 'ftp://a/t', clientId: 'a', clientSecret: 'b' })).toThrow(
      TokenClientConfigError,
    );
    expect(() => createTokenClient({ tokenEndpoint: 'http://a/t', clientId: 'a', clientSecret: '' })).toThrow(
      TokenClientConfigError,
    );
  });
});

describe('token client: retry rules', () => {
  it('retries 503 twice and then succeeds with exactly three requests', async () => {
    const as = await scripted((_req, res, _b, n) =>
      n <= 2 ? json(res, 503, { error: 'temporarily_unavailable' }) : grant(res),
    );
    const c = client(`${as.url}/oauth/token`);
    expect(await c.getToken()).toMatch(/^token-/);
    expect(as.requests).toHaveLength(3);
  });

  it('retries dropped connections (network errors) and then succeeds', async () => {
    const as = await scripted((req, res, _b, n) => (n <= 2 ? req.socket.destroy() : grant(res)));
    const c = client(`${as.url}/oauth/token`);
    expect(await c.getToken()).toMatch(/^token-/);
    expect(as.requests).toHaveLength(3);
  });

  it('gives up after the bounded number of attempts with TokenEndpointUnavailableError', async () => {
    const as = await scripted((_req, res) => json(res, 502, {}));
    const c = client(`${as.url}/oauth/token`);
    const error = await c.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointUnavailableError);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_UNAVAILABLE', attempts: 4, status: 502 });
    expect(as.requests).toHaveLength(4);
  });

  it('never retries invalid_client and keeps the secret out of the error even if the server echoes it', async () => {
    const as = await scripted((_req, res) =>
      json(
        res,
        401,
        { error: 'invalid_client', error_description: `bad secret ${SECRET}` },
        { 'www-authenticate': 'Basic' },
      ),
    );
    const c = client(`${as.url}/oauth/token`);
    const error = await c.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({
      status: 401,
      error: 'invalid_client',
      errorDescription: 'bad secret [redacted]',
    });
    expect(as.requests).toHaveLength(1);
    const seen = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain(Buffer.from(`read-service:${SECRET}`).toString('base64'));
  });

  it('never retries any other 4xx either (invalid_scope, access_denied, a 429)', async () => {
    for (const [status, code] of [
      [400, 'invalid_scope'],
      [403, 'access_denied'],
      [429, 'slow_down'],
    ] as const) {
      const as = await scripted((_req, res) => json(res, status, { error: code }));
      const error = await client(`${as.url}/t`)
        .getToken()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status, error: code });
      expect(as.requests).toHaveLength(1);
    }
  });

  it('does not follow a redirect from the token endpoint', async () => {
    const elsewhere = await scripted((_req, res) => grant(res));
    const as = await scripted((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/steal` });
      res.end();
    });
    const error = await client(`${as.url}/t`)
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 307, error: 'unexpected_redirect' });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('refuses a 200 that is not a bearer token response', async () => {
    const as = await scripted((_req, res) => json(res, 200, { access_token: 'x', token_type: 'mac' }));
    await expect(client(`${as.url}/t`).getToken()).rejects.toMatchObject({
      code: 'ERR_TOKEN_RESPONSE_INVALID',
    });
  });
});

describe('token client: cache and single flight', () => {
  it('serves 1,000 calls from one token request', async () => {
    const as = await scripted((_req, res) => grant(res));
    const c = client(`${as.url}/t`);
    const first = await c.getToken();
    for (let i = 0; i < 999; i++) expect(await c.getToken()).toBe(first);
    expect(as.requests).toHaveLength(1);
  });

  it('collapses 100 concurrent calls on a cold cache into one request', async () => {
    const as = await scripted((_req, res) => setTimeout(() => grant(res), 20));
    const c = client(`${as.url}/t`);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => c.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(as.requests).toHaveLength(1);
  });

  it('fetches again once the cached token is within the skew of its expiry', async () => {
    // expires_in 1 s: usable for 0.75 s (skew capped at a quarter of the lifetime).
    const as = await scripted((_req, res) => grant(res, 1));
    const c = client(`${as.url}/t`);
    const first = await c.getToken();
    await waitFor(async () => (await c.getToken()) !== first);
    expect(as.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('refreshes in the background before expiry while the old token still serves', async () => {
    const as = await scripted((_req, res) => grant(res, 2));
    const c = client(`${as.url}/t`);
    const first = await c.getToken();
    // No further calls: the timer alone must fetch the next token.
    await waitFor(() => as.requests.length >= 2);
    // The request is counted when it arrives; its answer reaches the cache a moment later.
    await waitFor(async () => (await c.getToken()) !== first);
    expect(as.requests).toHaveLength(2);
  });

  it('does not refresh in the background a token nobody used', async () => {
    const as = await scripted((_req, res) => grant(res, 1));
    const c = client(`${as.url}/t`);
    await c.getToken(); // the first token is used, so it is renewed in the background once
    await waitFor(() => as.requests.length >= 2);
    await sleep(1500); // the renewed token is never used: its lifetime passes with no third request
    expect(as.requests).toHaveLength(2);
  });
});

describe('token client: authorized fetch', () => {
  it('adds the bearer token and keeps the caller headers', async () => {
    const as = await scripted((_req, res) => grant(res));
    const api = await scripted((_req, res) => json(res, 200, { ok: true }));
    const c = client(`${as.url}/t`);
    const res = await c.fetch(`${api.url}/contacts`, { headers: { 'x-trace': 'abc' } });
    expect(res.status).toBe(200);
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer token-${issued}`);
    expect(api.requests[0]?.headers['x-trace']).toBe('abc');
  });

  it('on 401 invalid_token gets one fresh token and replays the request once, body included', async () => {
    const as = await scripted((_req, res) => grant(res));
    let rejected: string | undefined;
    const api = await scripted((req, res) => {
      if (rejected === undefined) {
        rejected = req.headers.authorization;
        res.writeHead(401, {
          'www-authenticate': 'Bearer error="invalid_token", error_description="expired"',
        });
        return res.end();
      }
      json(res, 201, { ok: true });
    });
    const c = client(`${as.url}/t`);
    const res = await c.fetch(`${api.url}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ada"}',
    });
    expect(res.status).toBe(201);
    expect(as.requests).toHaveLength(2);
    expect(api.requests).toHaveLength(2);
    expect(api.requests[1]?.headers.authorization).not.toBe(rejected);
    expect(api.requests[1]?.body).toBe('{"name":"Ada"}');
  });

  it('retries only once: a second 401 is returned to the caller', async () => {
    const as = await scripted((_req, res) => grant(res));
    const api = await scripted((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
    });
    const res = await client(`${as.url}/t`).fetch(`${api.url}/contacts`);
    expect(res.status).toBe(401);
    expect(api.requests).toHaveLength(2);
    expect(as.requests).toHaveLength(2);
  });

  it('does not retry a 401 without invalid_token, a 403, or a streamed body', async () => {
    const as = await scripted((_req, res) => grant(res));
    const api = await scripted((req, res) => {
      if (req.url === '/bare') res.writeHead(401, { 'www-authenticate': 'Bearer' });
      else if (req.url === '/scope')
        res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope"' });
      else res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end();
    });
    const c = client(`${as.url}/t`);
    expect((await c.fetch(`${api.url}/bare`)).status).toBe(401);
    expect((await c.fetch(`${api.url}/scope`)).status).toBe(403);
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode('{}'));
        ctl.close();
      },
    });
    const streamed = await c.fetch(`${api.url}/stream`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(401);
    expect(api.requests).toHaveLength(3);
    expect(as.requests).toHaveLength(1);
  });

  it('shares one fresh token among many concurrent requests that hit 401', async () => {
    const as = await scripted((_req, res) => setTimeout(() => grant(res), 10));
    let bad: string | undefined;
    const api = await scripted((req, res) => {
      bad ??= req.headers.authorization;
      if (req.headers.authorization === bad) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
        return res.end();
      }
      json(res, 200, {});
    });
    const c = client(`${as.url}/t`);
    await c.getToken();
    const results = await Promise.all(Array.from({ length: 50 }, () => c.fetch(`${api.url}/contacts`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(as.requests).toHaveLength(2);
  });
});

describe('token client: discovery and close', () => {
  it('discovers the token endpoint from RFC 8414 metadata and checks the issuer', async () => {
    let issuer = '';
    const as = await scripted((req, res) => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        return json(res, 200, { issuer, token_endpoint: `${issuer}oauth/token` });
      }
      if (req.url === '/oauth/token') return grant(res);
      json(res, 404, {});
    });
    issuer = `${as.url}/`;
    const c = createTokenClient({ issuer, clientId: 'a', clientSecret: 'b', retry: fastRetry });
    clients.push(c);
    await c.getToken();
    await c.getToken();
    expect(as.requests.map((r) => r.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/oauth/token',
    ]);
  });

  it('falls back to OpenID discovery and refuses metadata naming another issuer', async () => {
    const as = await scripted((req, res) => {
      if (req.url === '/realm/.well-known/openid-configuration') {
        return json(res, 200, {
          issuer: 'https://evil.example/',
          token_endpoint: 'https://evil.example/token',
        });
      }
      json(res, 404, {});
    });
    const c = createTokenClient({
      issuer: `${as.url}/realm`,
      clientId: 'a',
      clientSecret: 'b',
      retry: fastRetry,
    });
    clients.push(c);
    const error = await c.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscoveryError);
    expect(String(error)).toMatch(/evil\.example/);
    expect(as.requests.map((r) => r.path)).toEqual([
      '/.well-known/oauth-authorization-server/realm',
      '/realm/.well-known/openid-configuration',
    ]);
  });

  it('rejects pending and later calls after close()', async () => {
    const as = await scripted(() => {}); // never answers
    const c = client(`${as.url}/t`);
    const pending = c.getToken();
    c.close();
    await expect(pending).rejects.toBeInstanceOf(TokenClientClosedError);
    await expect(c.getToken()).rejects.toBeInstanceOf(TokenClientClosedError);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` holds; fails the test after 10 s (a bound, not a timing assertion). */
async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await sleep(25);
  }
}
