/**
 * Fuzz of the forward-auth server (the `gatehouse-authorizer forward-auth` server, following a
 * real gatehouse server) over real HTTP, in its three dialects (nginx, Traefik, Envoy): mutated
 * tokens, original methods and URIs, and hostile headers. Every answer passes `checkAnswer` in
 * the RFC 6750 shape; nothing hostile is ever allowed.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Authorizer,
  createAuthorizer,
} from '../../packages/authorizer/src/authorizer/create-authorizer.ts';
import { createForwardAuthServer } from '../../packages/authorizer/src/forward-auth/create-forward-auth-server.ts';
import {
  authorization,
  checkAnswer,
  type FuzzRequest,
  fuzz,
  headerValue,
  mutatedJwt,
  nastyString,
  send,
} from './fuzz-harness.ts';

const RUNS = 2600;
const AUDIENCE = 'https://contacts.fuzz-fa.test/';
const POLICY = {
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
  ],
};

let server: TestServer;
let authorizer: Authorizer;
let forwardAuth: Server;
let base: string;
let reader: string;
let secrets: string[];

beforeAll(async () => {
  server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: '3600' } });
  const c = await server.createApiAndClient({
    identifier: AUDIENCE,
    scopes: ['read:contacts', 'write:contacts'],
    grantScopes: ['read:contacts'],
  });
  reader = await server.getToken(c);
  authorizer = createAuthorizer({ issuer: server.issuer, audience: AUDIENCE, policy: POLICY });
  await authorizer.refresh();
  forwardAuth = createForwardAuthServer({ authorizer });
  await new Promise<void>((resolve) => forwardAuth.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(forwardAuth.address() as AddressInfo).port}`;
  secrets = [server.admin.clientSecret, c.clientSecret, 'PRIVATE KEY'];
});

afterAll(async () => {
  forwardAuth?.closeAllConnections();
  await new Promise((resolve) => forwardAuth?.close(resolve));
  authorizer?.close();
  await server?.close();
});

const uri = fc.oneof(
  fc.constantFrom(
    '/contacts',
    '/contacts/42',
    '/contacts/42?x=1',
    'http://h/contacts/1',
    '/contacts/%2e%2e/admin',
    '//contacts',
    '/CONTACTS',
    '/contacts/',
  ),
  nastyString.map((v) => `/contacts/${v}`),
  nastyString,
);

function requests(): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      dialect: fc.constantFrom('nginx', 'traefik', 'envoy', 'other'),
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'get', 'CONNECT'), headerValue),
      uri,
      auth: fc.oneof(
        { weight: 3, arbitrary: fc.constant(`Bearer ${reader}`) },
        authorization(reader),
        mutatedJwt(reader).map((t) => `Bearer ${t}`),
      ),
      check: fc.constantFrom('GET', 'POST', 'HEAD'),
      drop: fc.constantFrom('none', 'method', 'uri'),
    })
    .map((r): FuzzRequest => {
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.authorization = r.auth;
      const safeUri = r.uri.replace(/[^\x20-\x7e]/g, '%3F');
      const safeMethod = r.method.replace(/[^\x21-\x7e]/g, 'X') || 'X';
      let path = '/';
      if (r.dialect === 'nginx') {
        path = '/nginx';
        if (r.drop !== 'method') headers['x-original-method'] = safeMethod;
        if (r.drop !== 'uri') headers['x-original-uri'] = safeUri;
      } else if (r.dialect === 'traefik') {
        path = '/traefik';
        if (r.drop !== 'method') headers['x-forwarded-method'] = safeMethod;
        if (r.drop !== 'uri') headers['x-forwarded-uri'] = safeUri;
      } else if (r.dialect === 'envoy') {
        path = `/envoy${safeUri.startsWith('/') ? safeUri : `/${encodeURIComponent(safeUri)}`}`;
      } else {
        path = `/${encodeURIComponent(safeUri)}`;
      }
      return { method: r.check, path, headers };
    });
}

it('answers thousands of malformed checks without a 5xx or a leak, allowing only what the policy allows', async () => {
  const statuses = new Map<number, number>();
  const sent = await fuzz(requests(), RUNS, async (req) => {
    const res = await send(base, req);
    if (res === undefined) return false;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    checkAnswer(req, res, { surface: 'bearer', secrets });
    if (res.status === 200) {
      // Only the valid read token may pass, and only for a read.
      expect(req.headers.authorization).toBe(`Bearer ${reader}`);
      expect(res.headers.get('x-auth-scope')).toBe('read:contacts');
    }
    return true;
  });
  expect(sent).toBeGreaterThanOrEqual(RUNS * 0.95);
  for (const status of [200, 400, 401, 403])
    expect(statuses.get(status), `status ${status}`).toBeGreaterThan(0);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
}, 150_000);
