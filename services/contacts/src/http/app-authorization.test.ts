/**
 * The contacts HTTP API behind the real authorizer, both ways it can sit: the `node:http` guard in
 * front of Hono (what `gatehouse-contacts serve` runs) and the `@gatehouse/authorizer/hono`
 * middleware, with real tokens from a real gatehouse server (RFC 6750 answers at the edge, problem
 * details behind it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contact } from '../contacts/contact.ts';
import type { ContactStore } from '../store/contact-store.ts';
import { createSqliteContactStore } from '../store/sqlite-contact-store.ts';
import { type ContactsStory, provisionContactsStory } from '../testing/provision-story.ts';
import { createContactsApp } from './app.ts';
import { type ContactsAuthorization, createContactsAuthorization } from './authorization.ts';
import { type RunningServer, startServer } from './server.ts';

let gatehouse: TestServer;
let story: ContactsStory;
let dir: string;
let store: ContactStore;
let auth: ContactsAuthorization;
type Mode = 'node guard' | 'hono middleware';
const servers = {} as Record<Mode, RunningServer>;
const tokens = { read: '', write: '', expiring: '', otherApi: '' };

beforeAll(async () => {
  gatehouse = await startTestServer();
  story = await provisionContactsStory(gatehouse.management, 'https://contacts.http.test/');
  dir = mkdtempSync(join(tmpdir(), 'contacts-auth-'));
  store = createSqliteContactStore({ file: join(dir, 'contacts.db') });
  auth = createContactsAuthorization({
    issuer: gatehouse.issuer,
    audience: story.audience,
    clockToleranceSeconds: 0,
  });
  servers['node guard'] = await startServer(createContactsApp({ store, auth: 'server' }), {
    port: 0,
    host: '127.0.0.1',
    guard: auth.guard,
  });
  servers['hono middleware'] = await startServer(createContactsApp({ store, auth: auth.middleware }), {
    port: 0,
    host: '127.0.0.1',
  });
  const get = (c: { clientId: string; clientSecret: string }) =>
    gatehouse.getToken({ ...c, audience: story.audience });
  const other = await gatehouse.createApiAndClient({ scopes: ['read:contacts', 'write:contacts'] });
  [tokens.read, tokens.write, tokens.expiring, tokens.otherApi] = await Promise.all([
    get(story.read),
    get(story.write),
    get(story.expiring),
    gatehouse.getToken({
      clientId: other.clientId,
      clientSecret: other.clientSecret,
      audience: other.audience,
    }),
  ]);
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
  auth?.authorizer.close();
  await store?.close();
  await gatehouse?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each<Mode>(['node guard', 'hono middleware'])(
  'contacts HTTP API behind the authorizer (%s)',
  (mode) => {
    function call(path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> {
      const headers = new Headers(init.headers);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      return fetch(servers[mode].url + path, { ...init, headers });
    }

    function create(token: string, name: string): Promise<Response> {
      return call('/contacts', token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
    }

    it('serves /healthz without a token', async () => {
      const res = await call('/healthz', undefined);
      expect(res.status).toBe(200);
    });

    it('answers 401 with a bare Bearer challenge (no error code) when no token is sent', async () => {
      const res = await call('/contacts', undefined);
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).not.toMatch(/error=/);
    });

    it('answers 400 invalid_request for a malformed Authorization header', async () => {
      const res = await fetch(`${servers[mode].url}/contacts`, {
        headers: { authorization: 'Bearer a b c' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    });

    it('lets the Read Service list and read, and refuses its POST with 403 insufficient_scope', async () => {
      const seeded = (await (await create(tokens.write, 'Seed')).json()) as Contact;
      const list = await call('/contacts', tokens.read);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: Contact[] }).items.map((c) => c.id)).toContain(seeded.id);
      expect((await call(`/contacts/${seeded.id}`, tokens.read)).status).toBe(200);
      const post = await create(tokens.read, 'Not allowed');
      expect(post.status).toBe(403);
      expect(post.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(post.headers.get('www-authenticate')).toMatch(/scope="write:contacts"/);
      const put = await call(`/contacts/${seeded.id}`, tokens.read, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', checked: true }),
      });
      expect(put.status).toBe(403);
      expect((await call(`/contacts/${seeded.id}`, tokens.read, { method: 'DELETE' })).status).toBe(403);
    });

    it('lets the Write Service do everything', async () => {
      const created = await create(tokens.write, 'Writer');
      expect(created.status).toBe(201);
      const contact = (await created.json()) as Contact;
      const put = await call(`/contacts/${contact.id}`, tokens.write, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': created.headers.get('etag')! },
        body: JSON.stringify({ name: 'Writer, edited', checked: true }),
      });
      expect(put.status).toBe(200);
      expect((await call('/contacts', tokens.write)).status).toBe(200);
      expect((await call(`/contacts/${contact.id}`, tokens.write)).status).toBe(200);
      expect((await call(`/contacts/${contact.id}`, tokens.write, { method: 'DELETE' })).status).toBe(204);
    });

    it('answers 401 invalid_token for a token of another API (wrong audience)', async () => {
      const res = await call('/contacts', tokens.otherApi);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('answers 401 invalid_token for a forged token (payload changed, signature kept)', async () => {
      const [h, , s] = tokens.read.split('.');
      const claims = { ...decodeJwt(tokens.read), scope: 'read:contacts write:contacts' };
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      const res = await create(forged, 'forged');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('answers 401 invalid_token for an expired token', async () => {
      const { exp } = decodeJwt(tokens.expiring);
      const wait = exp! * 1000 + 200 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const res = await call('/contacts', tokens.expiring);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('denies paths and methods outside the route policy even with a valid token', async () => {
      expect((await call('/admin', tokens.write)).status).toBe(403);
      expect((await call('/contacts', tokens.write, { method: 'PATCH' })).status).toBe(403);
      expect((await call('/admin', undefined)).status).toBe(401);
    });

    it('serves /healthz (with a query too) without a token, and guards every other path', async () => {
      expect((await call('/healthz?probe=1', undefined)).status).toBe(200);
      expect((await call('/healthz/', undefined)).status).toBe(401);
      expect((await call('/healthz', undefined, { method: 'POST' })).status).toBe(401);
      expect((await call('/healthz/../contacts', undefined)).status).not.toBe(200);
    });
  },
);
