import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authorizer, createAuthorizer } from '../authorizer/create-authorizer.ts';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createForwardAuthServer } from './create-forward-auth-server.ts';

let idp: TestIssuer;
let authorizer: Authorizer;
let server: Server;
let base: string;
let read: string;

beforeAll(async () => {
  idp = await startTestIssuer();
  authorizer = createAuthorizer({ issuer: idp.issuer, audience: idp.audience, policy: contactsPolicy });
  server = createForwardAuthServer({ authorizer, envoyPrefix: '/ext-authz' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  read = await idp.mint({ scope: 'read:contacts' });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  authorizer.close();
  await idp.close();
});

const check = (path: string, headers: Record<string, string>, method = 'GET') =>
  fetch(`${base}${path}`, { method, headers });

describe('nginx auth_request dialect (/nginx)', () => {
  it('allows with the caller in X-Auth-Client-Id and X-Auth-Scope', async () => {
    const res = await check('/nginx', {
      'x-original-method': 'GET',
      'x-original-uri': '/contacts/42?fields=name',
      authorization: `Bearer ${read}`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-auth-client-id')).toBe('svc-a');
    expect(res.headers.get('x-auth-scope')).toBe('read:contacts');
  });

  it('judges an absolute-form URI by its path', async () => {
    const res = await check('/nginx', {
      'x-original-method': 'DELETE',
      'x-original-uri': 'http://contacts.example/contacts/1',
      authorization: `Bearer ${read}`,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="write:contacts"');
  });

  it('refuses a missing scope with 403 and the challenge nginx can pass on', async () => {
    const res = await check('/nginx', {
      'x-original-method': 'POST',
      'x-original-uri': '/contacts',
      authorization: `Bearer ${read}`,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="write:contacts"');
  });

  it('refuses a request without a token with 401', async () => {
    const res = await check('/nginx', { 'x-original-method': 'GET', 'x-original-uri': '/contacts' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });

  it.each([
    ['no X-Original-URI', { 'x-original-method': 'GET' }],
    ['no X-Original-Method', { 'x-original-uri': '/contacts' }],
    ['Traefik headers only', { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/contacts' }],
  ])('denies a check request with %s', async (_name, headers) => {
    const res = await check('/nginx', { ...headers, authorization: `Bearer ${read}` });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-auth-client-id')).toBeNull();
  });
});

describe('Traefik ForwardAuth dialect (/traefik)', () => {
  it('allows and refuses by X-Forwarded-Method and X-Forwarded-Uri', async () => {
    const auth = { authorization: `Bearer ${read}` };
    const ok = await check('/traefik', {
      ...auth,
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': '/contacts',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-auth-client-id')).toBe('svc-a');
    const no = await check('/traefik', {
      ...auth,
      'x-forwarded-method': 'DELETE',
      'x-forwarded-uri': '/contacts/1',
    });
    expect(no.status).toBe(403);
  });

  it('ignores X-Original-* headers a client slipped in', async () => {
    const res = await check('/traefik', {
      authorization: `Bearer ${read}`,
      'x-forwarded-method': 'DELETE',
      'x-forwarded-uri': '/contacts/1',
      'x-original-method': 'GET',
      'x-original-uri': '/contacts',
    });
    expect(res.status).toBe(403);
  });

  it('denies a check request without the forwarded URI', async () => {
    expect(
      (await check('/traefik', { authorization: `Bearer ${read}`, 'x-forwarded-method': 'GET' })).status,
    ).toBe(400);
  });
});

describe('Envoy ext_authz HTTP dialect (path prefix)', () => {
  it('judges the original method and path carried by the check request', async () => {
    const auth = { authorization: `Bearer ${read}` };
    const ok = await check('/ext-authz/contacts/42?x=1', auth, 'GET');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-auth-scope')).toBe('read:contacts');
    expect((await check('/ext-authz/contacts/42', auth, 'DELETE')).status).toBe(403);
    expect((await check('/ext-authz/contacts', auth, 'HEAD')).status).toBe(200);
    expect((await check('/ext-authz/admin', auth, 'GET')).status).toBe(403);
  });
});

describe('anything else', () => {
  it('denies check requests to paths no dialect serves', async () => {
    for (const path of ['/', '/auth', '/contacts', '/nginxx', '/ext-authzcontacts']) {
      const res = await check(path, {
        authorization: `Bearer ${read}`,
        'x-original-method': 'GET',
        'x-original-uri': '/contacts',
      });
      expect(res.status, path).toBe(400);
    }
  });

  it('reports health once keys are held', async () => {
    await authorizer.verifier.refresh();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
