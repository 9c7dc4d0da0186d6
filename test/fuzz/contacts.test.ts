/**
 * Fuzz of the contacts service (`gatehouse-contacts` as it serves: its authorizer following a real
 * gatehouse server) over real HTTP: every route, with mutated tokens, bodies, ids, queries and
 * preconditions. Every answer passes `checkAnswer` (problem details, or the RFC 6750 answer of the
 * authorizer), and a refused request leaves the contacts store as it was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningContactsService, serveContacts } from '@gatehouse/contacts';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  authorization,
  checkAnswer,
  contentType,
  createStoreWatch,
  type FuzzRequest,
  fuzz,
  headerValue,
  mutatedJson,
  nastyBytes,
  nastyJson,
  nastyString,
  send,
} from './fuzz-harness.ts';

const RUNS = 2600;
const AUDIENCE = 'https://contacts.fuzz.test/';

let server: TestServer;
let contacts: RunningContactsService;
let dataDir: string;
let writer: string;
let reader: string;
let existingId: string;
let secrets: string[];

beforeAll(async () => {
  server = await startTestServer({ env: { GATEHOUSE_SYNC_SECONDS: '3600' } });
  const rw = await server.createApiAndClient({
    identifier: AUDIENCE,
    scopes: ['read:contacts', 'write:contacts'],
  });
  writer = await server.getToken(rw);
  const { clientId, clientSecret } = await server.createApiAndClient({
    identifier: `${AUDIENCE}other/`,
    scopes: ['read:contacts'],
  });
  dataDir = await mkdtemp(join(tmpdir(), 'contacts-fuzz-'));
  contacts = await serveContacts(
    loadConfig({
      CONTACTS_PORT: '0',
      GATEHOUSE_ISSUER: server.issuer,
      CONTACTS_AUDIENCE: AUDIENCE,
      CONTACTS_DATA_DIR: dataDir,
      GATEHOUSE_SYNC_SECONDS: '3600',
      CONTACTS_LOG_LEVEL: 'silent',
    }),
    { write() {} },
  );
  // A read-only token for the contacts API: grant the other client read:contacts there.
  const grant = await server.management('POST', 'client-grants', {
    client_id: clientId,
    audience: AUDIENCE,
    scope: ['read:contacts'],
  });
  expect(grant.status).toBe(201);
  reader = await server.getToken({ clientId, clientSecret, audience: AUDIENCE });
  const created = await fetch(`${contacts.url}/contacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Ada' }),
  });
  expect(created.status).toBe(201);
  existingId = ((await created.json()) as { id: string }).id;
  secrets = [server.admin.clientSecret, rw.clientSecret, clientSecret, 'PRIVATE KEY'];
}, 60_000);

afterAll(async () => {
  await contacts?.close();
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function requests(): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    fc.constant(existingId),
    fc.constant('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
    nastyString.map((v) => encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))),
    fc.constantFrom('', '..', '%2F', '%00', 'a/b'),
  );
  return fc
    .record({
      route: fc.constantFrom('/contacts', '/contacts/{id}', '/healthz', '/', '/contacts/{id}/x'),
      id,
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      auth: fc.oneof(
        { weight: 5, arbitrary: fc.constant(`Bearer ${writer}`) },
        { weight: 2, arbitrary: fc.constant(`Bearer ${reader}`) },
        authorization(writer),
      ),
      type: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, contentType),
      ifMatch: fc.option(fc.oneof(headerValue, fc.constantFrom('*', 'W/"x"', '"1"'))),
      query: fc.oneof(
        { weight: 3, arbitrary: fc.constant('') },
        fc
          .tuple(fc.constantFrom('limit', 'cursor', 'x'), nastyString)
          .map(([k, v]) => `?${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`),
        fc.constantFrom('?limit=0', '?limit=-1', '?limit=1e9', '?limit=1&limit=2', '?cursor=%00'),
      ),
      body: fc.oneof(
        { weight: 5, arbitrary: mutatedJson({ name: 'Grace', checked: true }) },
        { weight: 1, arbitrary: nastyJson },
        { weight: 1, arbitrary: nastyBytes },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
    })
    .map((r): FuzzRequest => {
      const headers: Record<string, string> = {};
      if (r.auth !== undefined) headers.authorization = r.auth;
      if (r.type !== undefined) headers['content-type'] = r.type;
      if (r.ifMatch !== null) headers['if-match'] = r.ifMatch;
      return { method: r.method, path: `${r.route.replace('{id}', r.id)}${r.query}`, headers, body: r.body };
    });
}

it('answers thousands of malformed contacts requests without a 5xx, a leak or a store change when refusing', async () => {
  const store = createStoreWatch(join(dataDir, 'contacts.db'));
  const statuses = new Map<number, number>();
  const sent = await fuzz(requests(), RUNS, async (req) => {
    store.prepare();
    const res = await send(contacts.url, req);
    if (res === undefined) return false;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    checkAnswer(req, res, { surface: 'problem', secrets });
    store.check(res.status >= 400, `${req.method} ${req.path}`);
    return true;
  });
  store.close();
  expect(sent).toBeGreaterThanOrEqual(RUNS * 0.95);
  for (const status of [200, 201, 400, 401, 403, 404])
    expect(statuses.get(status), `status ${status}`).toBeGreaterThan(0);
  expect((await fetch(`${contacts.url}/healthz`)).status).toBe(200);
}, 150_000);
