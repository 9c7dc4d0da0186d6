import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const json = async (res: Response) => ({
  status: res.status,
  body: (await res.json()) as Record<string, unknown>,
});

describe('/api/v2/resource-servers', () => {
  it('creates, reads, updates and deletes an API in Auth0 shape', async () => {
    const created = await json(
      await server.management('POST', 'resource-servers', {
        identifier: 'https://contacts.example/',
        name: 'Contacts',
        scopes: [{ value: 'read:contacts', description: 'Read contacts' }, { value: 'write:contacts' }],
        token_lifetime: 900,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      identifier: 'https://contacts.example/',
      name: 'Contacts',
      scopes: [
        { value: 'read:contacts', description: 'Read contacts' },
        { value: 'write:contacts', description: '' },
      ],
      signing_alg: 'RS256',
      token_lifetime: 900,
      routes: null,
      is_system: false,
    });
    const id = created.body.id as string;

    expect((await json(await server.management('GET', `resource-servers/${id}`))).body).toEqual(created.body);
    const byIdentifier = await json(
      await server.management('GET', `resource-servers/${encodeURIComponent('https://contacts.example/')}`),
    );
    expect(byIdentifier.body.id).toBe(id);

    const updated = await json(
      await server.management('PATCH', `resource-servers/${id}`, {
        name: 'Contacts v2',
        token_lifetime: 1200,
      }),
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'Contacts v2',
      token_lifetime: 1200,
      identifier: 'https://contacts.example/',
    });

    const deleted = await server.management('DELETE', `resource-servers/${id}`);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    const gone = await json(await server.management('GET', `resource-servers/${id}`));
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      errorCode: 'inexistent_resource_server',
    });
  });

  it('creates a signing key for an API that asks for a new algorithm', async () => {
    const before = (await (await server.management('GET', 'keys/signing')).json()) as { alg: string }[];
    expect(before.some((k) => k.alg === 'ES256')).toBe(false);
    const res = await server.management('POST', 'resource-servers', {
      identifier: 'https://es.example/',
      signing_alg: 'ES256',
    });
    expect(res.status).toBe(201);
    const after = (await (await server.management('GET', 'keys/signing')).json()) as {
      alg: string;
      current: boolean;
    }[];
    expect(after.some((k) => k.alg === 'ES256' && k.current)).toBe(true);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { alg: string }[];
    };
    expect(jwks.keys.some((k) => k.alg === 'ES256')).toBe(true);
  });

  it('refuses a duplicate identifier with 409', async () => {
    await server.management('POST', 'resource-servers', { identifier: 'https://dup.example/' });
    const again = await json(
      await server.management('POST', 'resource-servers', { identifier: 'https://dup.example/' }),
    );
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
  });

  it('refuses unknown fields, naming them', async () => {
    const { status, body } = await json(
      await server.management('POST', 'resource-servers', {
        identifier: 'https://x.example/',
        allow_offline_access: true,
      }),
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_body' });
    expect(body.message).toMatch(/allow_offline_access/);
  });

  it('validates every field with a message naming it', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /identifier/],
      [{ identifier: '' }, /identifier/],
      [{ identifier: 'has space' }, /identifier/],
      [{ identifier: `https://x/${'a'.repeat(600)}` }, /identifier/],
      [{ identifier: 'https://a/', name: 'x'.repeat(201) }, /name/],
      [{ identifier: 'https://a/', name: '<script>' }, /name/],
      [{ identifier: 'https://a/', token_lifetime: 0 }, /token_lifetime/],
      [{ identifier: 'https://a/', token_lifetime: 86401 }, /token_lifetime/],
      [{ identifier: 'https://a/', token_lifetime: 1.5 }, /token_lifetime/],
      [{ identifier: 'https://a/', token_lifetime: '60' }, /token_lifetime/],
      [{ identifier: 'https://a/', signing_alg: 'HS256' }, /signing_alg/],
      [{ identifier: 'https://a/', scopes: [{ value: 'has space' }] }, /scopes/],
      [{ identifier: 'https://a/', scopes: [{ value: 'a' }, { value: 'a' }] }, /scopes/],
      [{ identifier: 'https://a/', scopes: [{ value: 'a', extra: 1 }] }, /extra/],
      [{ identifier: 'https://a/', scopes: 'read' }, /scopes/],
    ];
    for (const [body, field] of cases) {
      const res = await json(await server.management('POST', 'resource-servers', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message, JSON.stringify(body)).toMatch(field);
    }
  });

  it('answers 4xx for bad JSON, a wrong content type and an over-large body', async () => {
    const token = await server.managementToken();
    const post = (body: string, type: string) =>
      fetch(`${server.url}/api/v2/resource-servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
    const bad = await json(await post('{"identifier":', 'application/json'));
    expect(bad.status).toBe(400);
    expect(bad.body.errorCode).toBe('invalid_body');
    expect((await post('identifier=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post('[]', 'application/json')).status).toBe(400);
    expect((await post(JSON.stringify({ identifier: 'x'.repeat(300_000) }), 'application/json')).status).toBe(
      413,
    );
  });

  it('takes an API with the most scopes allowed, each fully described, and refuses one more', async () => {
    const scopes = Array.from({ length: 200 }, (_, i) => ({
      value: `scope:${i}`,
      description: 'd'.repeat(500),
    }));
    const ok = await server.management('POST', 'resource-servers', {
      identifier: 'https://big.example/',
      scopes,
    });
    expect(ok.status).toBe(201);
    const tooMany = await json(
      await server.management('POST', 'resource-servers', {
        identifier: 'https://bigger.example/',
        scopes: [...scopes, { value: 'scope:200' }],
      }),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/scopes: must hold at most 200/);
  });

  it('refuses to change the identifier', async () => {
    const created = (await (
      await server.management('POST', 'resource-servers', { identifier: 'https://fixed.example/' })
    ).json()) as {
      id: string;
    };
    const res = await json(
      await server.management('PATCH', `resource-servers/${created.id}`, {
        identifier: 'https://moved.example/',
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/identifier/);
  });

  it('protects the Management API resource server', async () => {
    const list = (await (await server.management('GET', 'resource-servers')).json()) as {
      id: string;
      is_system: boolean;
      identifier: string;
    }[];
    const system = list.find((r) => r.is_system);
    expect(system?.identifier).toBe(`${server.issuer}api/v2/`);
    const del = await json(await server.management('DELETE', `resource-servers/${system!.id}?force=true`));
    expect(del.status).toBe(403);
    expect(del.body.errorCode).toBe('operation_not_supported');
    const patch = await json(
      await server.management('PATCH', `resource-servers/${system!.id}`, { name: 'mine' }),
    );
    expect(patch.status).toBe(403);
  });

  it('refuses to delete an API with grants unless forced, and then deletes its grants', async () => {
    const x = await server.createApiAndClient();
    const refused = await json(await server.management('DELETE', `resource-servers/${x.apiId}`));
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/force/);
    expect((await server.management('GET', `client-grants/${x.grantId}`)).status).toBe(200);
    expect((await server.management('DELETE', `resource-servers/${x.apiId}?force=true`)).status).toBe(204);
    expect((await server.management('GET', `client-grants/${x.grantId}`)).status).toBe(404);
    expect((await server.management('GET', `clients/${x.clientId}`)).status).toBe(200);
    const bad = await server.management('DELETE', `resource-servers/${x.apiId}?force=yes`);
    expect(bad.status).toBe(400);
  });

  it('pages with page, per_page and include_totals', async () => {
    const fresh = await startTestServer();
    try {
      for (let i = 0; i < 5; i++)
        await fresh.management('POST', 'resource-servers', { identifier: `https://p${i}.example/` });
      // 6 in all, with the Management API itself.
      const plain = (await (
        await fresh.management('GET', 'resource-servers?per_page=4')
      ).json()) as unknown[];
      expect(Array.isArray(plain)).toBe(true);
      expect(plain).toHaveLength(4);
      const second = (await (
        await fresh.management('GET', 'resource-servers?page=1&per_page=4&include_totals=true')
      ).json()) as {
        start: number;
        limit: number;
        length: number;
        total: number;
        resource_servers: { identifier: string }[];
      };
      expect(second).toMatchObject({ start: 4, limit: 4, length: 2, total: 6 });
      expect(second.resource_servers).toHaveLength(2);
      const all = (await (await fresh.management('GET', 'resource-servers?per_page=100')).json()) as {
        identifier: string;
      }[];
      expect(new Set(all.map((r) => r.identifier)).size).toBe(6);
      for (const q of [
        'per_page=0',
        'per_page=101',
        'page=-1',
        'page=x',
        'include_totals=yes',
        'unknown=1',
        'page=1&page=2',
      ]) {
        const res = await fresh.management('GET', `resource-servers?${q}`);
        const body = (await res.json()) as { errorCode: string };
        expect(res.status, q).toBe(400);
        expect(body.errorCode, q).toBe('invalid_query_string');
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('/api/v2/resource-servers routes (live route policy)', () => {
  const scopes = [{ value: 'read:contacts' }, { value: 'write:contacts' }];
  let counter = 0;
  const identifier = () => `https://policy-${++counter}.example/`;
  const policyFeed = async (audience: string) =>
    (await (await fetch(`${server.url}/feeds/policy?audience=${encodeURIComponent(audience)}`)).json()) as {
      routes: unknown;
    };

  it('takes routes on create, normalised, and serves them in the API and the policy feed', async () => {
    const id = identifier();
    const created = await json(
      await server.management('POST', 'resource-servers', {
        identifier: id,
        scopes,
        routes: [
          { method: 'get', path: '/contacts/{id}/', scopes: ['read:contacts', 'read:contacts'] },
          { method: '*', path: '/contacts/*', scopes: ['write:contacts'] },
        ],
      }),
    );
    expect(created.status).toBe(201);
    const expected = [
      { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
      { method: '*', path: '/contacts/*', scopes: ['write:contacts'] },
    ];
    expect(created.body.routes).toEqual(expected);
    expect((await policyFeed(id)).routes).toEqual(expected);
  });

  it('replaces and removes the routes with PATCH, and the feed follows at once', async () => {
    const id = identifier();
    const created = await json(
      await server.management('POST', 'resource-servers', { identifier: id, scopes }),
    );
    expect(created.body.routes).toBeNull();
    const rsId = created.body.id as string;
    const tightened = [{ method: 'POST', path: '/contacts', scopes: ['read:contacts', 'write:contacts'] }];
    const patched = await json(
      await server.management('PATCH', `resource-servers/${rsId}`, { routes: tightened }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.routes).toEqual(tightened);
    expect((await policyFeed(id)).routes).toEqual(tightened);
    // Changing something else keeps the routes.
    await server.management('PATCH', `resource-servers/${rsId}`, { name: 'renamed' });
    expect((await policyFeed(id)).routes).toEqual(tightened);
    const cleared = await json(
      await server.management('PATCH', `resource-servers/${rsId}`, { routes: null }),
    );
    expect(cleared.body.routes).toBeNull();
    expect((await policyFeed(id)).routes).toBeNull();
  });

  it('refuses malformed routes with a 400 naming the route and field', async () => {
    const cases: [unknown, RegExp][] = [
      [[{ method: 'GET', path: 'contacts', scopes: [] }], /routes\.0\.path: must start with "\/"/],
      [[{ method: 'GET', path: '/a/*/b', scopes: [] }], /routes\.0\.path/],
      [[{ method: 'G ET', path: '/a', scopes: [] }], /routes\.0\.method/],
      [[{ method: 'GET', path: '/a', scopes: ['bad scope'] }], /routes\.0\.scopes\.0/],
      [[{ method: 'GET', path: '/a', scopes: [], extra: 1 }], /extra/],
      [[{ method: 'GET', path: '/a' }], /routes\.0\.scopes/],
      [
        [
          { method: 'GET', path: '/a', scopes: [] },
          { method: 'get', path: '/a/', scopes: ['read:contacts'] },
        ],
        /routes\.1/,
      ],
      ['not a list', /routes/],
    ];
    for (const [routes, message] of cases) {
      const res = await json(
        await server.management('POST', 'resource-servers', { identifier: identifier(), scopes, routes }),
      );
      expect(res.status, JSON.stringify(routes)).toBe(400);
      expect(res.body.errorCode).toBe('invalid_body');
      expect(res.body.message, JSON.stringify(routes)).toMatch(message);
    }
  });

  it('refuses routes that need a scope the API does not define, also when a PATCH removes it', async () => {
    const refused = await json(
      await server.management('POST', 'resource-servers', {
        identifier: identifier(),
        scopes,
        routes: [{ method: 'DELETE', path: '/contacts/{id}', scopes: ['delete:contacts'] }],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/routes\[0\]\.scopes: delete:contacts is not a scope of this API/);
    const created = await json(
      await server.management('POST', 'resource-servers', {
        identifier: identifier(),
        scopes,
        routes: [{ method: 'POST', path: '/contacts', scopes: ['write:contacts'] }],
      }),
    );
    const removing = await json(
      await server.management('PATCH', `resource-servers/${created.body.id}`, {
        scopes: [{ value: 'read:contacts' }],
      }),
    );
    expect(removing.status).toBe(400);
    expect(removing.body.message).toMatch(/write:contacts is not a scope/);
    const both = await json(
      await server.management('PATCH', `resource-servers/${created.body.id}`, {
        scopes: [{ value: 'read:contacts' }],
        routes: [{ method: 'GET', path: '/contacts', scopes: ['read:contacts'] }],
      }),
    );
    expect(both.status).toBe(200);
  });
});
