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

async function newClient(): Promise<string> {
  return ((await (await server.management('POST', 'clients', { name: 'c' })).json()) as { client_id: string })
    .client_id;
}
async function newApi(identifier: string, scopes: string[]): Promise<void> {
  const res = await server.management('POST', 'resource-servers', {
    identifier,
    scopes: scopes.map((value) => ({ value })),
  });
  expect(res.status).toBe(201);
}

describe('/api/v2/client-grants', () => {
  it('creates, reads, narrows and deletes a grant, and the token endpoint follows', async () => {
    await newApi('https://grants.example/', ['read:g', 'write:g']);
    const clientId = await newClient();
    const created = await json(
      await server.management('POST', 'client-grants', {
        client_id: clientId,
        audience: 'https://grants.example/',
        scope: ['read:g', 'write:g'],
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^cgr_[A-Za-z0-9]{16}$/),
      client_id: clientId,
      audience: 'https://grants.example/',
      scope: ['read:g', 'write:g'],
      token_lifetime: null,
    });
    const id = created.body.id as string;
    expect((await json(await server.management('GET', `client-grants/${id}`))).body).toEqual(created.body);

    const narrowed = await json(
      await server.management('PATCH', `client-grants/${id}`, { scope: ['read:g'], token_lifetime: 60 }),
    );
    expect(narrowed.body).toMatchObject({ scope: ['read:g'], token_lifetime: 60 });
    const back = await json(
      await server.management('PATCH', `client-grants/${id}`, { token_lifetime: null }),
    );
    expect(back.body.token_lifetime).toBeNull();

    expect((await server.management('DELETE', `client-grants/${id}`)).status).toBe(204);
    expect((await json(await server.management('GET', `client-grants/${id}`))).body).toMatchObject({
      statusCode: 404,
      errorCode: 'inexistent_client_grant',
    });
  });

  it('refuses scopes the API does not define, naming them', async () => {
    await newApi('https://strict.example/', ['read:s']);
    const clientId = await newClient();
    const res = await json(
      await server.management('POST', 'client-grants', {
        client_id: clientId,
        audience: 'https://strict.example/',
        scope: ['read:s', 'delete:s'],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/delete:s/);
    const ok = await json(
      await server.management('POST', 'client-grants', {
        client_id: clientId,
        audience: 'https://strict.example/',
        scope: ['read:s'],
      }),
    );
    expect(ok.status).toBe(201);
    const patch = await json(
      await server.management('PATCH', `client-grants/${ok.body.id}`, { scope: ['nope'] }),
    );
    expect(patch.status).toBe(400);
  });

  it('answers 404 for an unknown client or API, and 409 for a second grant of the same pair', async () => {
    await newApi('https://pair.example/', []);
    const clientId = await newClient();
    const unknownClient = await json(
      await server.management('POST', 'client-grants', {
        client_id: 'NoSuchClient',
        audience: 'https://pair.example/',
        scope: [],
      }),
    );
    expect(unknownClient.status).toBe(404);
    expect(unknownClient.body.errorCode).toBe('inexistent_client');
    const unknownApi = await json(
      await server.management('POST', 'client-grants', {
        client_id: clientId,
        audience: 'https://none.example/',
        scope: [],
      }),
    );
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.body.errorCode).toBe('inexistent_resource_server');
    const first = await server.management('POST', 'client-grants', {
      client_id: clientId,
      audience: 'https://pair.example/',
      scope: [],
    });
    expect(first.status).toBe(201);
    const second = await json(
      await server.management('POST', 'client-grants', {
        client_id: clientId,
        audience: 'https://pair.example/',
        scope: [],
      }),
    );
    expect(second.status).toBe(409);
  });

  it('validates bodies', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ audience: 'https://a/', scope: [] }, /client_id/],
      [{ client_id: 'abc', scope: [] }, /audience/],
      [{ client_id: 'abc', audience: 'https://a/' }, /scope/],
      [{ client_id: 'abc', audience: 'https://a/', scope: 'read:a' }, /scope/],
      [{ client_id: 'abc', audience: 'https://a/', scope: ['a', 'a'] }, /scope/],
      [{ client_id: 'abc', audience: 'https://a/', scope: ['bad scope'] }, /scope/],
      [{ client_id: 'abc', audience: 'https://a/', scope: [], token_lifetime: 100000 }, /token_lifetime/],
      [{ client_id: 'abc', audience: 'https://a/', scope: [], extra: true }, /extra/],
    ];
    for (const [body, field] of cases) {
      const res = await json(await server.management('POST', 'client-grants', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message, JSON.stringify(body)).toMatch(field);
    }
    expect((await server.management('GET', `client-grants/${encodeURIComponent('bad id!')}`)).status).toBe(
      400,
    );
  });

  it('filters the list by client_id and audience, with paging', async () => {
    await newApi('https://f1.example/', []);
    await newApi('https://f2.example/', []);
    const a = await newClient();
    const b = await newClient();
    for (const [client_id, audience] of [
      [a, 'https://f1.example/'],
      [a, 'https://f2.example/'],
      [b, 'https://f1.example/'],
    ]) {
      expect(
        (await server.management('POST', 'client-grants', { client_id, audience, scope: [] })).status,
      ).toBe(201);
    }
    const byClient = (await (await server.management('GET', `client-grants?client_id=${a}`)).json()) as {
      audience: string;
    }[];
    expect(byClient.map((g) => g.audience).sort()).toEqual(['https://f1.example/', 'https://f2.example/']);
    const byAudience = (await (
      await server.management(
        'GET',
        `client-grants?audience=${encodeURIComponent('https://f1.example/')}&include_totals=true`,
      )
    ).json()) as { total: number; client_grants: { client_id: string }[] };
    expect(byAudience.total).toBe(2);
    expect(byAudience.client_grants.map((g) => g.client_id).sort()).toEqual([a, b].sort());
    const both = (await (
      await server.management(
        'GET',
        `client-grants?client_id=${b}&audience=${encodeURIComponent('https://f1.example/')}`,
      )
    ).json()) as unknown[];
    expect(both).toHaveLength(1);
  });
});
