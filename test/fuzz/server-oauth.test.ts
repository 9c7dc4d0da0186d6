/**
 * Fuzz of the OAuth endpoints (`/oauth/token`, `/oauth/revoke`, `/oauth/introspect`) over real
 * HTTP: mutations of valid requests and generated hostile ones. Every answer passes
 * `checkAnswer`, and a refused request leaves the store exactly as it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ApiAndClient, startTestServer, type TestServer } from '@gatehouse/server/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  authorization,
  checkAnswer,
  contentType,
  createStoreWatch,
  type FuzzRequest,
  fuzz,
  mutatedForm,
  mutatedJson,
  mutatedJwt,
  nastyBytes,
  nastyJson,
  nastyString,
  queryOf,
  send,
} from './fuzz-harness.ts';

const RUNS = 3000;

let server: TestServer;
let client: ApiAndClient;
let token: string;
let secrets: string[];

beforeAll(async () => {
  server = await startTestServer({
    env: {
      GATEHOUSE_SYNC_SECONDS: '3600',
      // Lockout off here so that every request reaches authentication (the lockout has its own tests).
      GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '0',
      GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '0',
      GATEHOUSE_LOCKOUT_CLIENT_FAILURES: '0',
    },
  });
  client = await server.createApiAndClient({ scopes: ['read:x', 'write:x'] });
  token = await server.getToken(client);
  const kek = (await readFile(join(server.dataDir, 'kek'), 'utf8')).trim();
  secrets = [server.admin.clientSecret, client.clientSecret, kek, 'PRIVATE KEY', '"d":"'];
});
afterAll(() => server?.close());

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function requests(): fc.Arbitrary<FuzzRequest> {
  const tokenForm = {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    audience: client.audience,
    scope: 'read:x',
  };
  const tokenParam = fc.oneof(fc.constant(token), mutatedJwt(token), nastyString);
  const body = (path: string): fc.Arbitrary<string | Uint8Array> => {
    const valid =
      path === '/oauth/token'
        ? tokenForm
        : {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            token,
            token_type_hint: 'access_token',
          };
    return fc.oneof(
      { weight: 4, arbitrary: mutatedForm(valid) },
      { weight: 2, arbitrary: mutatedJson(valid) },
      {
        weight: 1,
        arbitrary: tokenParam.map((t) =>
          new URLSearchParams({ ...valid, ...(path === '/oauth/token' ? {} : { token: t }) }).toString(),
        ),
      },
      { weight: 1, arbitrary: nastyJson },
      { weight: 1, arbitrary: nastyBytes },
      { weight: 1, arbitrary: nastyString },
    );
  };
  return fc
    .record({
      path: fc.constantFrom('/oauth/token', '/oauth/revoke', '/oauth/introspect'),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant('POST') },
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      ),
      contentType,
      auth: authorization(token, basic(client.clientId, client.clientSecret)),
      query: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, nastyString.map(queryOf)),
    })
    .chain((r) =>
      body(r.path).map((b): FuzzRequest => {
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        else if (typeof b === 'string' && b.startsWith('{')) headers['content-type'] = 'application/json';
        if (r.auth !== undefined) headers.authorization = r.auth;
        return { method: r.method, path: `${r.path}${r.query}`, headers, body: b };
      }),
    );
}

it('answers thousands of malformed OAuth requests without a 5xx, a leak or a store change when refusing', async () => {
  const store = createStoreWatch(join(server.dataDir, 'gatehouse.db'));
  const statuses = new Map<number, number>();
  const sent = await fuzz(requests(), RUNS, async (req) => {
    store.prepare();
    const res = await send(server.url, req);
    if (res === undefined) return false;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    checkAnswer(req, res, { surface: 'oauth', secrets, errorSecrets: [client.clientSecret] });
    store.check(res.status >= 400, `${req.method} ${req.path}`);
    return true;
  });
  store.close();
  expect(sent).toBeGreaterThanOrEqual(RUNS * 0.95);
  // The mutations reach deep enough to produce both answers and the main refusals.
  expect(statuses.get(200)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
  expect(statuses.get(401)).toBeGreaterThan(0);
  // Still serving.
  expect(await server.getToken(client)).toMatch(/^ey/);
}, 120_000);
