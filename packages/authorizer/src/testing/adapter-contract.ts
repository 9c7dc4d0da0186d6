/**
 * One behaviour suite every middleware adapter runs over real HTTP: each test file starts its
 * framework with the adapter in front of a handler that echoes `auth`, and calls this.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthContext, Authorizer } from '../authorizer/create-authorizer.ts';
import { createAuthorizer } from '../authorizer/create-authorizer.ts';
import { startTestIssuer, type TestIssuer } from './test-issuer.ts';

/** The contacts policy the adapters are tested with. */
export const contactsPolicy = {
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
  ],
};

/** A running app: its base URL, how many times the handler ran, and how to stop it. */
export interface RunningApp {
  readonly url: string;
  readonly handled: () => number;
  close(): Promise<void>;
}

/** What the echo handler answers: the caller the adapter handed it. */
export function echo(auth: AuthContext | null | undefined): string {
  return JSON.stringify({ clientId: auth?.clientId, scopes: auth?.scopes, sub: auth?.claims.sub });
}

/** A GET with the raw header list given as is (repeated names stay separate header lines). */
function rawGet(url: string, rawHeaders: string[]): Promise<{ status: number; challenge: string }> {
  return new Promise((resolve, reject) => {
    // an array of headers is sent as given, with no Host added: HTTP/1.1 needs one
    request(url, { headers: ['Host', new URL(url).host, ...rawHeaders] }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, challenge: String(res.headers['www-authenticate'] ?? '') }),
      );
    })
      .on('error', reject)
      .end();
  });
}

/** Runs the adapter suite; `start` puts the adapter built from `authorizer` in front of an echo handler. */
export function runAdapterContract(
  name: string,
  start: (authorizer: Authorizer) => Promise<RunningApp>,
): void {
  describe(`${name} adapter`, () => {
    let idp: TestIssuer;
    let authorizer: Authorizer;
    let app: RunningApp;
    let read: string;

    beforeAll(async () => {
      idp = await startTestIssuer();
      authorizer = createAuthorizer({ issuer: idp.issuer, audience: idp.audience, policy: contactsPolicy });
      app = await start(authorizer);
      read = await idp.mint({ scope: 'read:contacts' });
    });

    afterAll(async () => {
      await app.close();
      authorizer.close();
      await idp.close();
    });

    const call = (method: string, path: string, authorization?: string) =>
      fetch(`${app.url}${path}`, { method, headers: authorization ? { authorization } : {} });

    it('passes an allowed request to the handler with the verified caller', async () => {
      const before = app.handled();
      const res = await call('GET', '/contacts/42?fields=name', `Bearer ${read}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ clientId: 'svc-a', scopes: ['read:contacts'], sub: 'svc-a' });
      expect(app.handled()).toBe(before + 1);
    });

    it('answers a request without a token with 401 and a bare Bearer challenge', async () => {
      const before = app.handled();
      const res = await call('GET', '/contacts');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(app.handled()).toBe(before);
    });

    it('answers a forged token with 401 invalid_token', async () => {
      const [h, p] = read.split('.');
      const res = await call('GET', '/contacts', `Bearer ${h}.${p}.${'A'.repeat(342)}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.json()).toMatchObject({ error: 'invalid_token' });
    });

    it('answers a missing scope with 403 insufficient_scope naming it, and the handler never runs', async () => {
      const before = app.handled();
      const res = await call('POST', '/contacts', `Bearer ${read}`);
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toContain('scope="write:contacts"');
      expect(await res.json()).toMatchObject({ error: 'insufficient_scope', scope: 'write:contacts' });
      expect(app.handled()).toBe(before);
    });

    it('denies a route outside the policy and a malformed header', async () => {
      expect((await call('GET', '/admin', `Bearer ${read}`)).status).toBe(403);
      expect((await call('GET', '/contacts', 'Bearer a b')).status).toBe(400);
    });

    it('finds the Authorization header whatever the case of its name', async () => {
      expect((await rawGet(`${app.url}/contacts`, ['AUTHORIZATION', `Bearer ${read}`])).status).toBe(200);
    });

    it('refuses two Authorization headers with 400 invalid_request, even when both hold the valid token', async () => {
      const before = app.handled();
      const answer = await rawGet(`${app.url}/contacts`, [
        'Authorization',
        `Bearer ${read}`,
        'authorization',
        `Bearer ${read}`,
      ]);
      expect(answer.status).toBe(400);
      expect(answer.challenge).toContain('error="invalid_request"');
      expect(app.handled()).toBe(before);
    });
  });
}
