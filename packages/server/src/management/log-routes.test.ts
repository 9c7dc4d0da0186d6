import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

interface LogEvent {
  log_id: string;
  date: string;
  type: string;
  description: string;
  client_id: string | null;
  client_name: string | null;
  ip: string | null;
  user_agent: string | null;
  details: {
    action: string;
    outcome: string;
    target: { type: string | null; id: string | null };
    request: { method: string; path: string };
    response: { statusCode: number };
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    error?: { errorCode: string; message: string };
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** The log events matching `query`, newest first. */
async function logs(query: string): Promise<LogEvent[]> {
  return json<LogEvent[]>(await server.management('GET', `logs?${query}`));
}

async function badRequest(
  query: string,
): Promise<{ statusCode: number; errorCode: string; message: string }> {
  const res = await server.management('GET', `logs?${query}`);
  expect(res.status).toBe(400);
  return (await res.json()) as { statusCode: number; errorCode: string; message: string };
}

describe('GET /api/v2/logs', () => {
  it('records a client change with who, what, before and after, when and where, readable by id', async () => {
    const created = await json<{ client_id: string }>(
      await server.management('POST', 'clients', { name: 'billing', description: 'first' }),
    );
    await json(await server.management('PATCH', `clients/${created.client_id}`, { description: 'second' }));

    const [update, create] = await logs(`target_id=${created.client_id}`);
    expect(create).toMatchObject({
      type: 'sapi',
      description: 'Create a client',
      client_id: server.admin.clientId,
      ip: '127.0.0.1',
      details: {
        action: 'client.created',
        outcome: 'success',
        target: { type: 'client', id: created.client_id },
        request: { method: 'POST', path: '/api/v2/clients' },
        response: { statusCode: 201 },
        before: null,
        after: { client_id: created.client_id, name: 'billing', description: 'first' },
      },
    });
    expect(create!.client_name).toEqual(expect.any(String));
    expect(Date.parse(create!.date)).toBeLessThanOrEqual(Date.parse(update!.date));
    expect(update!.details).toMatchObject({
      action: 'client.updated',
      before: { description: 'first' },
      after: { description: 'second' },
    });
    const byId = await json<LogEvent>(await server.management('GET', `logs/${update!.log_id}`));
    expect(byId).toEqual(update);
  });

  it('records every kind of administrative change with its target', async () => {
    const api = await server.createApiAndClient({ clientName: 'everything' });
    const since = new Date().toISOString();
    await json(await server.management('PATCH', `resource-servers/${api.apiId}`, { name: 'renamed' }));
    await json(await server.management('PATCH', `client-grants/${api.grantId}`, { scope: ['read:things'] }));
    await json(await server.management('POST', `clients/${api.clientId}/revoke-tokens`));
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential = await json<{ id: string }>(
      await server.management('POST', `clients/${api.clientId}/credentials`, {
        credential_type: 'public_key',
        pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        alg: 'ES256',
      }),
    );
    expect(
      (await server.management('DELETE', `clients/${api.clientId}/credentials/${credential.id}`)).status,
    ).toBe(204);
    const keys = await json<{ kid: string; next: boolean }[]>(await server.management('GET', 'keys/signing'));
    const next = keys.find((k) => k.next)!;
    await json(await server.management('PUT', `keys/signing/${next.kid}/revoke`));
    expect((await server.management('DELETE', `client-grants/${api.grantId}`)).status).toBe(204);
    expect((await server.management('DELETE', `resource-servers/${api.apiId}`)).status).toBe(204);
    expect((await server.management('DELETE', `clients/${api.clientId}`)).status).toBe(204);

    // createApiAndClient's own events may share the millisecond of `since`.
    const setup = new Set(['resource_server.created', 'client.created', 'client_grant.created']);
    const events = (await logs(`sort=date:1&from_date=${since}&per_page=100`)).filter(
      (e) => !setup.has(e.details.action),
    );
    expect(events.map((e) => [e.details.action, e.details.target.id])).toEqual([
      ['resource_server.updated', api.apiId],
      ['client_grant.updated', api.grantId],
      ['client.tokens_revoked', api.clientId],
      ['client_credential.created', credential.id],
      ['client_credential.deleted', credential.id],
      ['signing_key.revoked', next.kid],
      ['client_grant.deleted', api.grantId],
      ['resource_server.deleted', api.apiId],
      ['client.deleted', api.clientId],
    ]);
    expect(events.every((e) => e.type === 'sapi' && e.client_id === server.admin.clientId)).toBe(true);
    const byAction = Object.fromEntries(events.map((e) => [e.details.action, e.details]));
    expect(byAction['resource_server.updated']).toMatchObject({
      before: { name: expect.any(String) },
      after: { name: 'renamed' },
    });
    expect(byAction['client_grant.updated']).toMatchObject({
      before: { scope: ['read:things', 'write:things'] },
      after: { scope: ['read:things'] },
    });
    expect(byAction['signing_key.revoked']).toMatchObject({
      before: { revoked: false },
      after: { revoked: true },
    });
    expect(byAction['client.deleted']).toMatchObject({ before: { name: 'everything' }, after: null });
  });

  it('keeps every secret, hash, private key and token out of every event', async () => {
    const api = await server.createApiAndClient({ clientName: 'secretive' });
    const rotated = await json<{ client_secret: string }>(
      await server.management('POST', `clients/${api.clientId}/rotate-secret`, { grace_period_seconds: 60 }),
    );
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credential = await server.management('POST', `clients/${api.clientId}/credentials`, {
      credential_type: 'public_key',
      name: 'ci key',
      pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      alg: 'ES256',
    });
    expect(credential.status).toBe(201);
    expect((await server.management('POST', 'keys/signing/rotate')).status).toBe(201);
    const token = await server.getToken({ ...api, clientSecret: rotated.client_secret });
    await json(await server.management('POST', 'blacklists/tokens', { aud: api.audience, jti: 'jti-1' }));
    // A token pasted where a client id belongs: refused, recorded, and still not kept.
    expect((await server.management('DELETE', `clients/${token}`)).status).toBe(400);

    // Everything secret the server holds, read from its own store file.
    const db = new Database(join(server.dataDir, 'gatehouse.db'), { readonly: true });
    const clients = db.prepare('SELECT secrets FROM clients').all() as { secrets: string }[];
    const keys = db.prepare('SELECT encrypted_private_key AS sealed FROM signing_keys').all() as {
      sealed: string;
    }[];
    db.close();
    const hashes = clients.flatMap((c) => (JSON.parse(c.secrets) as { hash: string }[]).map((s) => s.hash));
    const forbidden = [
      api.clientSecret,
      rotated.client_secret,
      server.admin.clientSecret,
      token,
      await server.managementToken(),
      ...hashes,
      ...keys.map((k) => k.sealed),
    ];
    expect(hashes.length).toBeGreaterThan(2);
    expect(keys.length).toBeGreaterThan(1);

    const all = await json<{ logs: LogEvent[]; total: number }>(
      await server.management('GET', 'logs?per_page=100&include_totals=true'),
    );
    const actions = all.logs.map((e) => e.details.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'client.created',
        'client.secret_rotated',
        'client_credential.created',
        'signing_key.rotated',
        'token.blacklisted',
      ]),
    );
    const text = JSON.stringify(all);
    for (const secret of forbidden) expect(text).not.toContain(secret);
    // Nor in the server's structured log, where each change also leaves one line.
    const logText = server.logs.join('\n');
    expect(logText).toContain('"audit":true');
    for (const secret of forbidden) expect(logText).not.toContain(secret);
    expect(text).not.toMatch(/PRIVATE KEY|client_secret"|"hash"|eyJ[\w-]+\.eyJ/);

    const rotation = all.logs.find((e) => e.details.action === 'client.secret_rotated')!;
    expect(rotation.details.after).toMatchObject({ active_count: 2, grace_period_seconds: 60 });
    const keyRotation = all.logs.find((e) => e.details.action === 'signing_key.rotated')!;
    expect(keyRotation.details.after).toMatchObject({ current: true, jwk: expect.any(Object) });
  });

  it('records a refused change as fapi with the error, and nothing for an unauthenticated one', async () => {
    const missing = await server.management('DELETE', 'clients/doesnotexist');
    expect(missing.status).toBe(404);
    const anonymous = await fetch(`${server.url}/api/v2/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'nobody' }),
    });
    expect(anonymous.status).toBe(401);

    const [failed] = await logs('type=fapi&target_id=doesnotexist');
    expect(failed).toMatchObject({
      type: 'fapi',
      client_id: server.admin.clientId,
      details: {
        action: 'client.deleted',
        outcome: 'failure',
        target: { type: 'client', id: 'doesnotexist' },
        response: { statusCode: 404 },
        error: { errorCode: 'inexistent_client' },
        before: null,
        after: null,
      },
    });
    expect(await logs('q=client_id:nobody')).toEqual([]);
    const creations = await logs('action=client.created&per_page=100');
    expect(creations.every((e) => e.client_id === server.admin.clientId)).toBe(true);
  });

  it('records a caller without the scope as fapi insufficient_scope', async () => {
    const limited = await server.createApiAndClient({ clientName: 'reader' });
    const grant = await json<{ id: string }>(
      await server.management('POST', 'client-grants', {
        client_id: limited.clientId,
        audience: `${server.issuer}api/v2/`,
        scope: ['read:clients'],
      }),
    );
    const token = await server.getToken({ ...limited, audience: `${server.issuer}api/v2/` });
    const res = await fetch(`${server.url}/api/v2/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(res.status).toBe(403);
    const [event] = await logs(`client_id=${limited.clientId}`);
    expect(event).toMatchObject({
      type: 'fapi',
      client_name: 'reader',
      details: { action: 'client.created', error: { errorCode: 'insufficient_scope' } },
    });
    // Without read:logs it cannot read the log itself.
    const read = await fetch(`${server.url}/api/v2/logs`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(403);
    await server.management('DELETE', `client-grants/${grant.id}`);
  });

  it('filters by q, date range and target, pages with totals, and sorts both ways', async () => {
    const api = await server.createApiAndClient({ clientName: 'paged' });
    for (const description of ['a', 'b', 'c']) {
      await json(await server.management('PATCH', `clients/${api.clientId}`, { description }));
    }
    const updates = await logs(
      `q=${encodeURIComponent(`action:client.updated AND target_id:"${api.clientId}"`)}`,
    );
    expect(updates.map((e) => e.details.after?.description)).toEqual(['c', 'b', 'a']);
    const oldest = await logs(
      `target_id=${api.clientId}&action=client.updated&sort=date:1&per_page=1&page=1`,
    );
    expect(oldest.map((e) => e.details.after?.description)).toEqual(['b']);
    const paged = await json<{
      start: number;
      limit: number;
      length: number;
      total: number;
      logs: LogEvent[];
    }>(
      await server.management(
        'GET',
        `logs?target_type=client&target_id=${api.clientId}&per_page=2&include_totals=true`,
      ),
    );
    expect(paged).toMatchObject({ start: 0, limit: 2, length: 2, total: 4 });
    const first = Date.parse(updates.at(-1)!.date);
    const last = Date.parse(updates[0]!.date);
    const range = `date:[${new Date(first).toISOString()} TO ${new Date(last + 1).toISOString()}]`;
    const inRange = await logs(`q=${encodeURIComponent(`${range} target_id:${api.clientId}`)}`);
    expect(inRange.map((e) => e.details.after?.description)).toEqual(['c', 'b', 'a']);
    const slim = await logs(`target_id=${api.clientId}&fields=log_id,type&per_page=1`);
    expect(slim).toEqual([{ log_id: updates[0]!.log_id, type: 'sapi' }]);
    const [noDetails] = await logs(
      `target_id=${api.clientId}&fields=details,ip&include_fields=false&per_page=1`,
    );
    expect(Object.keys(noDetails!).sort()).toEqual([
      'client_id',
      'client_name',
      'date',
      'description',
      'log_id',
      'type',
      'user_agent',
    ]);
    const before = await logs(`target_id=${api.clientId}&to_date=${new Date(first).toISOString()}`);
    expect(before.map((e) => e.details.action)).toEqual(['client.created']);
    expect(await logs(`target_id=${api.clientId}&from_date=2999-01-01`)).toEqual([]);
  });

  it('records the console’s sign-in, failed sign-in, sign-out and the changes made in a session', async () => {
    const signIn = (secret: string) =>
      fetch(`${server.url}/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'console-test' },
        body: JSON.stringify({ client_id: server.admin.clientId, client_secret: secret }),
      });
    const wrong = await signIn('definitely-not-the-admin-secret-000000000');
    expect(wrong.status).toBe(401);
    const ok = await signIn(server.admin.clientSecret);
    expect(ok.status).toBe(201);
    const { csrf_token: csrf } = (await ok.json()) as { csrf_token: string };
    const cookie = ok.headers
      .getSetCookie()
      .find((c) => c.startsWith('gatehouse_console='))!
      .split(';')[0]!;
    const headers = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    const made = await fetch(`${server.url}/api/v2/clients`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'made in the console' }),
    });
    expect(made.status).toBe(201);
    const { client_id: madeId } = (await made.json()) as { client_id: string };
    expect((await fetch(`${server.url}/admin/session`, { method: 'DELETE', headers })).status).toBe(204);

    const events = await logs(`q=${encodeURIComponent('target_type:console_session')}&per_page=100`);
    const [signedOut, signedIn, failed] = events;
    expect(failed).toMatchObject({
      type: 'f',
      client_id: server.admin.clientId,
      user_agent: 'console-test',
      details: { action: 'console.sign_in_failed', outcome: 'failure' },
    });
    expect(signedIn).toMatchObject({
      type: 's',
      details: { action: 'console.signed_in', outcome: 'success' },
    });
    expect(signedOut).toMatchObject({
      type: 'slo',
      details: { target: { id: signedIn!.details.target.id } },
    });
    const [creation] = await logs(`target_id=${madeId}`);
    expect(creation).toMatchObject({
      type: 'sapi',
      client_id: server.admin.clientId,
      details: { action: 'client.created' },
    });
    const text = JSON.stringify(await logs('per_page=100'));
    expect(text).not.toContain(server.admin.clientSecret);
    expect(text).not.toContain(cookie.split('=')[1]);
    expect(text).not.toContain(csrf);
  });

  it('answers bad filters and page bounds with Auth0-shaped 400s naming the problem', async () => {
    const cases: [string, RegExp][] = [
      ['page=-1', /page/],
      ['per_page=0', /per_page must be between 1 and 100/],
      ['per_page=101', /per_page must be between 1 and 100/],
      ['include_totals=yes', /include_totals must be true or false/],
      ['sort=name:1', /sort must be date:1 or date:-1/],
      ['type=login', /type must be one of/],
      ['target_type=user', /target_type must be one of/],
      ['action=client.exploded', /not a known action/],
      ['from_date=yesterday', /from_date must be an ISO 8601 date/],
      ['from_date=2026-02-01&to_date=2026-01-01', /ends before it starts/],
      [`q=${encodeURIComponent('type:sapi OR type:fapi')}`, /'OR' is not supported/],
      [`q=${encodeURIComponent('user_id:abc')}`, /'user_id' is not a searchable field/],
      [`q=${encodeURIComponent('client_id:ab*')}`, /wildcards/],
      [`q=${encodeURIComponent('date:2026-01-01')}`, /date must be a range/],
      [`q=${encodeURIComponent('type:sapi type:fapi')}`, /given twice/],
      [`q=${'a'.repeat(1001)}`, /too long/],
      ['from=123&take=10', /checkpoint paging/],
      ['fields=log_id,password', /fields must be a comma-separated list of log_id, date/],
      ['include_fields=maybe', /include_fields must be true or false/],
      ['bogus=1', /unknown field 'bogus'/],
      ['type=sapi&type=fapi', /'type' is repeated/],
    ];
    for (const [query, message] of cases) {
      const body = await badRequest(query);
      expect(body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        errorCode: 'invalid_query_string',
      });
      expect(body.message, query).toMatch(message);
    }
    const badId = await server.management('GET', 'logs/not-a-log-id');
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ errorCode: 'invalid_uri' });
    const unknown = await server.management('GET', 'logs/01JD8Y3V7Q0000000000000000');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ statusCode: 404, errorCode: 'inexistent_log' });
  });
});
