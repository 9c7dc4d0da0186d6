import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { decodeUlidTime } from './ulid.ts';

let server: TestServer;
let main: ApiAndClient;

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function postToken(
  body: string | Record<string, string>,
  opts: { authorization?: string; contentType?: string | null } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const text = typeof body === 'string' ? body : new URLSearchParams(body).toString();
  if (opts.contentType !== null)
    headers['content-type'] = opts.contentType ?? 'application/x-www-form-urlencoded';
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const res = await fetch(`${server.url}/oauth/token`, { method: 'POST', headers, body: text });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function verify(token: string, audience: string) {
  const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: server.issuer, audience, typ: 'at+jwt' });
}

beforeAll(async () => {
  server = await startTestServer();
  main = await server.createApiAndClient({
    scopes: ['read:contacts', 'write:contacts', 'admin:contacts'],
    grantScopes: ['read:contacts', 'write:contacts'],
  });
});
afterAll(async () => {
  await server?.close();
});

describe('POST /oauth/token issues RFC 9068 access tokens', () => {
  it('answers a Bearer token with exactly the RFC 9068 header and claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, headers, json } = await postToken(
      { grant_type: 'client_credentials', audience: main.audience },
      { authorization: basic(main.clientId, main.clientSecret) },
    );
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(json).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read:contacts write:contacts',
    });

    const token = json.access_token as string;
    const header = decodeProtectedHeader(token);
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });

    const { payload } = await verify(token, main.audience);
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'azp',
      'client_id',
      'exp',
      'gty',
      'iat',
      'iss',
      'jti',
      'scope',
      'sub',
    ]);
    expect(payload).toMatchObject({
      iss: server.issuer,
      sub: main.clientId,
      client_id: main.clientId,
      azp: main.clientId,
      aud: main.audience,
      scope: 'read:contacts write:contacts',
      gty: 'client-credentials',
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp! - payload.iat!).toBe(3600);
    // A ULID whose first 10 characters are the issue time in milliseconds (docs/feeds.md).
    expect(payload.jti).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const issuedAtMs = decodeUlidTime(payload.jti as string)!;
    expect(issuedAtMs).toBeGreaterThanOrEqual(before * 1000);
    expect(Math.floor(issuedAtMs / 1000)).toBe(payload.iat);
  });

  it('gives every token a distinct jti', async () => {
    const a = await server.getToken(main);
    const b = await server.getToken(main);
    expect(decode(a).jti).not.toBe(decode(b).jti);
  });

  it('accepts client_secret_post', async () => {
    const { status, json } = await postToken({
      grant_type: 'client_credentials',
      client_id: main.clientId,
      client_secret: main.clientSecret,
      audience: main.audience,
    });
    expect(status).toBe(200);
    expect(decode(json.access_token as string).sub).toBe(main.clientId);
  });

  it('accepts a JSON body, as Auth0 does', async () => {
    const { status, json } = await postToken(
      JSON.stringify({
        grant_type: 'client_credentials',
        client_id: main.clientId,
        client_secret: main.clientSecret,
        audience: main.audience,
      }),
      { contentType: 'application/json' },
    );
    expect(status).toBe(200);
    expect(json.token_type).toBe('Bearer');
  });

  it('decodes form-url-encoded Basic credentials (RFC 6749 2.3.1)', async () => {
    const percent = (s: string) =>
      [...s].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    const authorization = `Basic ${Buffer.from(`${percent(main.clientId)}:${percent(main.clientSecret)}`).toString('base64')}`;
    const { status } = await postToken(
      { grant_type: 'client_credentials', audience: main.audience },
      { authorization },
    );
    expect(status).toBe(200);
  });

  it('accepts the Basic client id repeated in the body', async () => {
    const { status } = await postToken(
      { grant_type: 'client_credentials', audience: main.audience, client_id: main.clientId },
      { authorization: basic(main.clientId, main.clientSecret) },
    );
    expect(status).toBe(200);
  });

  it('picks the API with resource (RFC 8707) as well as audience', async () => {
    const auth = { authorization: basic(main.clientId, main.clientSecret) };
    const viaResource = await postToken({ grant_type: 'client_credentials', resource: main.audience }, auth);
    expect(viaResource.status).toBe(200);
    expect(decode(viaResource.json.access_token as string).aud).toBe(main.audience);
    const both = await postToken(
      { grant_type: 'client_credentials', resource: main.audience, audience: main.audience },
      auth,
    );
    expect(both.status).toBe(200);
  });

  it('narrows the token to the requested scopes', async () => {
    const { status, json } = await postToken(
      { grant_type: 'client_credentials', audience: main.audience, scope: 'write:contacts' },
      { authorization: basic(main.clientId, main.clientSecret) },
    );
    expect(status).toBe(200);
    expect(json.scope).toBe('write:contacts');
    expect(decode(json.access_token as string).scope).toBe('write:contacts');
  });

  it('treats an empty scope parameter as omitted (RFC 6749 3.1)', async () => {
    const { json } = await postToken(
      `grant_type=client_credentials&scope=&audience=${encodeURIComponent(main.audience)}`,
      { authorization: basic(main.clientId, main.clientSecret) },
    );
    expect(json.scope).toBe('read:contacts write:contacts');
  });

  it('issues scope "" for a grant without scopes', async () => {
    const x = await server.createApiAndClient({ scopes: ['read:x'], grantScopes: [] });
    const { status, json } = await postToken(
      { grant_type: 'client_credentials', audience: x.audience },
      { authorization: basic(x.clientId, x.clientSecret) },
    );
    expect(status).toBe(200);
    expect(json.scope).toBe('');
    expect(decode(json.access_token as string).scope).toBe('');
  });

  it('uses the grant token lifetime over the API one', async () => {
    const x = await server.createApiAndClient({ tokenLifetime: 600, grantTokenLifetime: 120 });
    const { json } = await postToken(
      { grant_type: 'client_credentials', audience: x.audience },
      { authorization: basic(x.clientId, x.clientSecret) },
    );
    expect(json.expires_in).toBe(120);
    const claims = decode(json.access_token as string);
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
    const y = await server.createApiAndClient({ tokenLifetime: 600 });
    const other = await postToken(
      { grant_type: 'client_credentials', audience: y.audience },
      { authorization: basic(y.clientId, y.clientSecret) },
    );
    expect(other.json.expires_in).toBe(600);
  });

  it('stops issuing a scope the API no longer defines', async () => {
    const x = await server.createApiAndClient({ scopes: ['a:x', 'b:x'] });
    const patched = await server.management('PATCH', `resource-servers/${x.apiId}`, {
      scopes: [{ value: 'a:x' }],
    });
    expect(patched.status).toBe(200);
    const { json } = await postToken(
      { grant_type: 'client_credentials', audience: x.audience },
      { authorization: basic(x.clientId, x.clientSecret) },
    );
    expect(json.scope).toBe('a:x');
  });

  for (const alg of ['PS256', 'ES256', 'EdDSA'] as const) {
    it(`signs with ${alg} for an API that asks for it`, async () => {
      const x = await server.createApiAndClient({ signingAlg: alg });
      const token = await server.getToken(x);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' });
      const { payload } = await verify(token, x.audience);
      expect(payload.sub).toBe(x.clientId);
    });
  }
});

describe('POST /oauth/token errors (RFC 6749 5.2)', () => {
  const form = () => ({ grant_type: 'client_credentials', audience: main.audience });
  const auth = () => ({ authorization: basic(main.clientId, main.clientSecret) });

  it('answers invalid_request when grant_type is missing', async () => {
    const { status, json, headers } = await postToken({ audience: main.audience }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
    expect(json.error_description).toMatch(/grant_type/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
  });

  it('answers unsupported_grant_type for any grant but client_credentials', async () => {
    for (const grant_type of [
      'password',
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ]) {
      const { status, json } = await postToken({ ...form(), grant_type }, auth());
      expect(status).toBe(400);
      expect(json.error).toBe('unsupported_grant_type');
    }
  });

  it('answers the same invalid_client for a wrong secret, an unknown client and a disabled client', async () => {
    const disabled = await server.createApiAndClient();
    expect(
      (await server.management('PATCH', `clients/${disabled.clientId}`, { disabled: true })).status,
    ).toBe(200);
    const wrongSecret = await postToken(form(), {
      authorization: basic(main.clientId, `${main.clientSecret}x`),
    });
    const unknown = await postToken(form(), {
      authorization: basic('NoSuchClient0000000000000000000', main.clientSecret),
    });
    const off = await postToken(
      { grant_type: 'client_credentials', audience: disabled.audience },
      { authorization: basic(disabled.clientId, disabled.clientSecret) },
    );
    for (const r of [wrongSecret, unknown, off]) {
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="gatehouse"/);
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('sends no Basic challenge when the client authenticated in the body', async () => {
    const { status, json, headers } = await postToken({
      ...form(),
      client_id: main.clientId,
      client_secret: 'wrong',
    });
    expect(status).toBe(401);
    expect(json.error).toBe('invalid_client');
    expect(headers.get('www-authenticate')).toBeNull();
  });

  it('answers invalid_client with a Basic challenge when the client does not authenticate', async () => {
    const none = await postToken(form());
    expect(none.status).toBe(401);
    expect(none.json.error).toBe('invalid_client');
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    const idOnly = await postToken({ ...form(), client_id: main.clientId });
    expect(idOnly.status).toBe(401);
    expect(idOnly.json.error).toBe('invalid_client');
  });

  it('refuses two authentication methods at once with invalid_request', async () => {
    const { status, json } = await postToken({ ...form(), client_secret: main.clientSecret }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
  });

  it('refuses a body client_id that differs from the Basic one', async () => {
    const { status, json } = await postToken({ ...form(), client_id: 'someone-else' }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
  });

  it('answers invalid_client for malformed Basic credentials and other schemes', async () => {
    for (const authorization of [
      'Basic !!!notbase64',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':secret').toString('base64')}`,
      `Basic ${Buffer.from('%zz:secret').toString('base64')}`,
      'Bearer abc.def.ghi',
    ]) {
      const { status, json, headers } = await postToken(form(), { authorization });
      expect(status).toBe(401);
      expect(json.error).toBe('invalid_client');
      expect(headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });

  it('answers invalid_client for a client assertion that is not a JWT', async () => {
    const { status, json } = await postToken({
      ...form(),
      client_id: main.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'a.b.c',
    });
    expect(status).toBe(401);
    expect(json.error).toBe('invalid_client');
  });

  it('answers invalid_request naming audience when no API is named', async () => {
    const { status, json } = await postToken({ grant_type: 'client_credentials' }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
    expect(json.error_description).toMatch(/audience/);
  });

  it('answers invalid_request when audience and resource differ', async () => {
    const { status, json } = await postToken({ ...form(), resource: 'https://other.example/' }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
  });

  it('answers invalid_target for an unknown API or a resource that is not an absolute URI', async () => {
    const unknown = await postToken(
      { grant_type: 'client_credentials', audience: 'https://no-such-api.example/' },
      auth(),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe('invalid_target');
    const relative = await postToken({ grant_type: 'client_credentials', resource: 'not-a-uri' }, auth());
    expect(relative.status).toBe(400);
    expect(relative.json.error).toBe('invalid_target');
  });

  it('answers 403 access_denied to a client without a grant for the API', async () => {
    const other = await server.createApiAndClient();
    const { status, json } = await postToken(
      { grant_type: 'client_credentials', audience: main.audience },
      { authorization: basic(other.clientId, other.clientSecret) },
    );
    expect(status).toBe(403);
    expect(json.error).toBe('access_denied');
  });

  it('answers invalid_scope for an ungranted, unknown or malformed scope', async () => {
    for (const scope of ['admin:contacts', 'read:contacts nope:x', 'read:"contacts"']) {
      const { status, json } = await postToken({ ...form(), scope }, auth());
      expect(status).toBe(400);
      expect(json.error).toBe('invalid_scope');
    }
  });

  it('answers invalid_request for a body that is neither form nor JSON', async () => {
    const plain = await postToken('grant_type=client_credentials', { contentType: 'text/plain', ...auth() });
    expect(plain.status).toBe(400);
    expect(plain.json.error).toBe('invalid_request');
    const missing = await postToken('grant_type=client_credentials', { contentType: null, ...auth() });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe('invalid_request');
    const latin1 = await postToken('grant_type=client_credentials', {
      contentType: 'application/x-www-form-urlencoded; charset=iso-8859-1',
      ...auth(),
    });
    expect(latin1.json.error).toBe('invalid_request');
  });

  it('answers invalid_request for malformed JSON or non-string JSON values', async () => {
    for (const body of [
      '{not json',
      '[1,2]',
      '"x"',
      JSON.stringify({ grant_type: 'client_credentials', audience: 42 }),
    ]) {
      const { status, json } = await postToken(body, { contentType: 'application/json', ...auth() });
      expect(status).toBe(400);
      expect(json.error).toBe('invalid_request');
    }
  });

  it('answers invalid_request for a repeated parameter or malformed percent-encoding', async () => {
    const repeated = await postToken(
      `grant_type=client_credentials&grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}`,
      auth(),
    );
    expect(repeated.status).toBe(400);
    expect(repeated.json.error).toBe('invalid_request');
    const malformed = await postToken('grant_type=client_credentials&audience=%E0%A4%A', auth());
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toBe('invalid_request');
  });

  it('answers invalid_request for an over-long parameter', async () => {
    const { status, json } = await postToken({ ...form(), scope: 'a'.repeat(5000) }, auth());
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_request');
    expect(json.error_description).toMatch(/scope/);
  });

  it('answers 413 invalid_request for a body over 16 KiB, declared or chunked', async () => {
    const big = `grant_type=client_credentials&pad=${'x'.repeat(17 * 1024)}`;
    const declared = await postToken(big, auth());
    expect(declared.status).toBe(413);
    expect(declared.json.error).toBe('invalid_request');

    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1024) controller.enqueue(bytes.slice(i, i + 1024));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth() },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers 405 to other methods', async () => {
    const res = await fetch(`${server.url}/oauth/token`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('counts issued tokens and failures in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(
        `gatehouse_tokens_issued_total\\{client_id="${main.clientId}",audience="${main.audience.replace(/[/.]/g, '\\$&')}"\\} \\d+`,
      ),
    );
    expect(text).toMatch(/gatehouse_token_errors_total\{error="invalid_client"\} \d+/);
    expect(text).toMatch(
      /gatehouse_http_request_duration_seconds_bucket\{le="[^"]+",route="\/oauth\/token",method="POST",status="200"\}/,
    );
  });
});

describe('GATEHOUSE_DEFAULT_AUDIENCE', () => {
  it('issues a token for the default API when the request names none', async () => {
    const other = await startTestServer({ env: { GATEHOUSE_DEFAULT_AUDIENCE: 'https://default.example/' } });
    try {
      const x = await other.createApiAndClient({ identifier: 'https://default.example/' });
      const res = await fetch(`${other.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(x.clientId, x.clientSecret),
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string };
      expect(decode(body.access_token).aud).toBe('https://default.example/');
    } finally {
      await other.close();
    }
  });
});
