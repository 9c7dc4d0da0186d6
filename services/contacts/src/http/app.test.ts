import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contact } from '../contacts/contact.ts';
import { PROBLEM_TYPE_BASE } from '../problems/problem-details.ts';
import type { ContactStore } from '../store/contact-store.ts';
import { createSqliteContactStore } from '../store/sqlite-contact-store.ts';
import { createContactsApp } from './app.ts';
import { type RunningServer, startServer } from './server.ts';

let dir: string;
let store: ContactStore;
let server: RunningServer;
const logged: object[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'contacts-http-'));
  store = createSqliteContactStore({ file: join(dir, 'contacts.db') });
  const app = createContactsApp({ store, auth: false, logger: { error: (o) => logged.push(o) } });
  server = await startServer(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(server.url + path, init);
}

function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return call('/contacts', { method: 'POST', headers, body });
}

async function create(name: string, checked?: boolean): Promise<{ contact: Contact; etag: string }> {
  const res = await post(JSON.stringify(checked === undefined ? { name } : { name, checked }));
  expect(res.status).toBe(201);
  return { contact: (await res.json()) as Contact, etag: res.headers.get('etag')! };
}

async function expectProblem(res: Response, status: number, slug: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: PROBLEM_TYPE_BASE + slug, status });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  return body;
}

describe('contacts HTTP API', () => {
  it('creates a contact with 201, Location, ETag and service-set fields', async () => {
    const res = await post(JSON.stringify({ name: '  Grace Hopper  ' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Contact;
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: 'Grace Hopper',
      checked: false,
      createdAt: expect.any(Number),
      updatedAt: body.createdAt,
    });
    expect(res.headers.get('location')).toBe(`/contacts/${body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    const got = await call(`/contacts/${body.id}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(body);
  });

  it('replaces a contact with PUT, bumping updatedAt and the ETag', async () => {
    const { contact } = await create('Before', false);
    const res = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ name: 'After', checked: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    const body = (await res.json()) as Contact;
    expect(body).toMatchObject({
      id: contact.id,
      name: 'After',
      checked: true,
      createdAt: contact.createdAt,
    });
    expect(body.updatedAt).toBeGreaterThanOrEqual(contact.updatedAt);
  });

  it('deletes a contact with 204, then answers 404 for it', async () => {
    const { contact } = await create('Temporary');
    const res = await call(`/contacts/${contact.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(await call(`/contacts/${contact.id}`), 404, 'contact-not-found');
    await expectProblem(
      await call(`/contacts/${contact.id}`, { method: 'DELETE' }),
      404,
      'contact-not-found',
    );
  });

  it('answers 404 for an id that is not a UUID, without touching the store', async () => {
    await expectProblem(await call('/contacts/not-a-uuid'), 404, 'contact-not-found');
    await expectProblem(
      await call('/contacts/nope', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      404,
      'contact-not-found',
    );
  });

  it('answers 404 for a PUT to a missing contact (PUT never creates)', async () => {
    const res = await call('/contacts/0190a5a4-0000-7000-8000-000000000000', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ name: 'x', checked: false }),
    });
    await expectProblem(res, 404, 'contact-not-found');
  });
});

describe('contacts HTTP API: bad input', () => {
  it('lists every field problem with a JSON pointer', async () => {
    const body = await expectProblem(
      await post(JSON.stringify({ name: '', checked: 'yes' })),
      400,
      'validation-failed',
    );
    expect(body.errors).toEqual([
      { pointer: '#/name', detail: 'must not be empty or only whitespace' },
      { pointer: '#/checked', detail: 'must be true or false' },
    ]);
  });

  it('refuses a name of only whitespace, one too long, one with control characters', async () => {
    const cases: Array<[unknown, string]> = [
      ['   ', 'must not be empty or only whitespace'],
      ['x'.repeat(201), 'must be at most 200 characters'],
      ['tab\there', 'must not contain control characters'],
      ['\ud800 lone', 'must be valid Unicode (it holds an unpaired surrogate)'],
      [42, 'must be a string'],
      [null, 'must be a string'],
    ];
    for (const [name, detail] of cases) {
      const body = await expectProblem(await post(JSON.stringify({ name })), 400, 'validation-failed');
      expect(body.errors).toEqual([{ pointer: '#/name', detail }]);
    }
  });

  it('counts the 200-character limit in code points, so 200 emoji fit', async () => {
    const { contact } = await create('😀'.repeat(200));
    expect([...contact.name]).toHaveLength(200);
  });

  it('refuses unknown fields and names read-only ones as such', async () => {
    const body = await expectProblem(
      await post(JSON.stringify({ name: 'a', id: 'mine', colour: 'red', 'a/b~c': 1 })),
      400,
      'validation-failed',
    );
    expect(body.errors).toEqual([
      { pointer: '#/id', detail: 'is set by the service and cannot be written' },
      { pointer: '#/colour', detail: 'is not a field of a contact' },
      { pointer: '#/a~1b~0c', detail: 'is not a field of a contact' },
    ]);
  });

  it('refuses a __proto__ member instead of merging it', async () => {
    const body = await expectProblem(
      await post('{"name":"a","__proto__":{"checked":true}}'),
      400,
      'validation-failed',
    );
    expect(body.errors).toEqual([{ pointer: '#/__proto__', detail: 'is not a field of a contact' }]);
  });

  it('requires both fields on PUT (a full replacement)', async () => {
    const { contact } = await create('Full');
    const res = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'only name' }),
    });
    const body = await expectProblem(res, 400, 'validation-failed');
    expect(body.errors).toEqual([{ pointer: '#/checked', detail: 'is required' }]);
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const raw of ['[]', '"name"', '42', 'null']) {
      const body = await expectProblem(await post(raw), 400, 'validation-failed');
      expect(body.errors).toEqual([{ pointer: '#', detail: 'must be a JSON object' }]);
    }
  });

  it('answers 400 malformed-body for broken JSON, an empty body and bad UTF-8', async () => {
    await expectProblem(await post('{"name": '), 400, 'malformed-body');
    await expectProblem(await post(''), 400, 'malformed-body');
    const bad = await call('/contacts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
    });
    const body = await expectProblem(bad, 400, 'malformed-body');
    expect(body.detail).toMatch(/UTF-8/);
  });

  it('answers 415 for a body that is not application/json', async () => {
    await expectProblem(
      await post('name=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported-media-type',
    );
    await expectProblem(
      await post('{"name":"a"}', { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
    await expectProblem(
      await post('{"name":"a"}', { 'content-type': 'application/json; charset=latin1' }),
      415,
      'unsupported-media-type',
    );
    const ok = await post('{"name":"a"}', { 'content-type': 'Application/JSON; charset="UTF-8"' });
    expect(ok.status).toBe(201);
  });

  it('answers 413 for a body over 16 KiB, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(17 * 1024) });
    await expectProblem(await post(big), 413, 'payload-too-large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1024)));
        controller.close();
      },
    });
    const res = await call('/contacts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(res, 413, 'payload-too-large');
  });

  it('answers 400 for a bad limit and names the parameter', async () => {
    for (const limit of ['0', '101', 'ten', '-1', '1.5', '']) {
      const body = await expectProblem(await call(`/contacts?limit=${limit}`), 400, 'validation-failed');
      expect(body.errors).toEqual([{ parameter: 'limit', detail: 'must be a whole number from 1 to 100' }]);
    }
    const twice = await expectProblem(await call('/contacts?limit=1&limit=2'), 400, 'validation-failed');
    expect(twice.errors).toEqual([{ parameter: 'limit', detail: 'must be given at most once' }]);
  });

  it('answers 400 for a cursor it did not issue', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 1, a: "' OR 1=1 --" })).toString('base64url');
    for (const cursor of ['garbage!', 'e30', forged, 'x'.repeat(300)]) {
      const body = await expectProblem(await call(`/contacts?cursor=${cursor}`), 400, 'validation-failed');
      expect(body.errors).toEqual([
        expect.objectContaining({ parameter: 'cursor', detail: expect.stringMatching(/not a cursor/) }),
      ]);
    }
  });

  it('answers 400 for a malformed If-Match', async () => {
    const { contact } = await create('Tagged');
    const res = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': '1' },
      body: JSON.stringify({ name: 'x', checked: false }),
    });
    const body = await expectProblem(res, 400, 'validation-failed');
    expect(body.errors).toEqual([expect.objectContaining({ header: 'If-Match' })]);
  });

  it('answers 405 with Allow for a method the resource does not have', async () => {
    const res = await call('/contacts', { method: 'PATCH' });
    await expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.get('allow')).toBe('GET, POST');
    const one = await call('/contacts/0190a5a4-0000-7000-8000-000000000000', { method: 'POST' });
    expect(one.headers.get('allow')).toBe('GET, PUT, DELETE');
  });

  it('answers 404 problem details for an unknown path', async () => {
    await expectProblem(await call('/nothing/here'), 404, 'not-found');
  });

  it('logged no server error for any of the bad inputs above', () => {
    expect(logged).toEqual([]);
  });
});

describe('contacts HTTP API: concurrency and paging', () => {
  it('lets exactly one of two concurrent PUTs with the same If-Match win; the other gets 412', async () => {
    const { contact, etag } = await create('Contested');
    const put = (name: string) =>
      call(`/contacts/${contact.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': etag },
        body: JSON.stringify({ name, checked: true }),
      });
    const [a, b] = await Promise.all([put('writer A'), put('writer B')]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 412]);
    const loser = a.status === 412 ? a : b;
    const winner = a.status === 200 ? a : b;
    await expectProblem(loser, 412, 'precondition-failed');
    const won = (await winner.json()) as Contact;
    const now = (await (await call(`/contacts/${contact.id}`)).json()) as Contact;
    expect(now.name).toBe(won.name);
  });

  it('makes a read-modify-write with a stale ETag fail instead of losing the newer write', async () => {
    const { contact, etag } = await create('Shared');
    const first = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ name: 'first edit', checked: false }),
    });
    expect(first.status).toBe(200);
    const stale = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify({ name: 'second edit from stale copy', checked: true }),
    });
    await expectProblem(stale, 412, 'precondition-failed');
    const del = await call(`/contacts/${contact.id}`, { method: 'DELETE', headers: { 'if-match': etag } });
    await expectProblem(del, 412, 'precondition-failed');
    const now = (await (await call(`/contacts/${contact.id}`)).json()) as Contact;
    expect(now.name).toBe('first edit');
    // A list of tags matches when it holds the current one; `*` matches any existing contact.
    const listed = await call(`/contacts/${contact.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': `"7", W/"2", "2"` },
      body: JSON.stringify({ name: 'third', checked: true }),
    });
    expect(listed.status).toBe(200);
    const star = await call(`/contacts/${contact.id}`, { method: 'DELETE', headers: { 'if-match': '*' } });
    expect(star.status).toBe(204);
  });

  it('pages over more than one page with an opaque cursor, returning each contact once', async () => {
    // A fresh store so earlier tests' contacts do not count.
    const pagedDir = mkdtempSync(join(tmpdir(), 'contacts-paging-'));
    const pagedStore = createSqliteContactStore({ file: join(pagedDir, 'contacts.db') });
    const paged = await startServer(createContactsApp({ store: pagedStore, auth: false }), {
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const created: string[] = [];
      for (let i = 0; i < 45; i++) {
        const res = await fetch(`${paged.url}/contacts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `contact ${i}` }),
        });
        created.push(((await res.json()) as Contact).id);
      }
      const first = (await (await fetch(`${paged.url}/contacts`)).json()) as {
        items: Contact[];
        cursor?: string;
      };
      expect(first.items).toHaveLength(20); // the default limit
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      do {
        const url = `${paged.url}/contacts?limit=20${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await (await fetch(url)).json()) as { items: Contact[]; cursor?: string };
        sizes.push(page.items.length);
        seen.push(...page.items.map((c) => c.id));
        cursor = page.cursor;
        if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      } while (cursor);
      expect(sizes).toEqual([20, 20, 5]);
      expect(seen).toEqual(created); // SQLite lists in id (= creation) order
    } finally {
      await paged.close();
      await pagedStore.close();
      rmSync(pagedDir, { recursive: true, force: true });
    }
  });
});
