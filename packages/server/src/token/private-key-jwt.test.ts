import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { createUlid } from './ulid.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let server: TestServer;
let app: ApiAndClient;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let credentialId: string;

type Claims = Record<string, unknown>;

/** A signed assertion for `app`; `claims` and `header` override the defaults (undefined removes one). */
async function assertion(
  claims: Claims = {},
  opts: { key?: Parameters<SignJWT['sign']>[0]; alg?: string; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Claims = {
    iss: app.clientId,
    sub: app.clientId,
    aud: server.issuer,
    iat: now,
    exp: now + 60,
    jti: createUlid(),
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', ...(opts.kid ? { kid: opts.kid } : {}) })
    .sign(opts.key ?? rsa.privateKey);
}

async function tokenWith(clientAssertion: string, extra: Record<string, string> = {}) {
  return postForm(`${server.url}/oauth/token`, {
    grant_type: 'client_credentials',
    audience: app.audience,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: clientAssertion,
    ...extra,
  });
}

async function addCredential(clientId: string, body: Record<string, unknown>) {
  const res = await server.management('POST', `clients/${clientId}/credentials`, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createApiAndClient({ scopes: ['read:things', 'write:things'] });
  rsa = await generateKeyPair('RS256', { extractable: true });
  const added = await addCredential(app.clientId, {
    credential_type: 'public_key',
    name: 'ci key',
    pem: await exportSPKI(rsa.publicKey),
    alg: 'RS256',
  });
  expect(added.status).toBe(201);
  credentialId = added.body.id as string;
});
afterAll(async () => {
  await server?.close();
});

describe('client credentials (Auth0 /clients/{id}/credentials)', () => {
  it('registers a public key and answers its metadata and kid, never the key', async () => {
    const res = await server.management('GET', `clients/${app.clientId}/credentials/${credentialId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: credentialId,
      credential_type: 'public_key',
      name: 'ci key',
      alg: 'RS256',
      kid: expect.stringMatching(/^[\w-]{43}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(body.kid).toBe(
      (await import('../keys/signing-key.ts')).computeJwkThumbprint(await exportJWK(rsa.publicKey)),
    );
    const list = (await (
      await server.management('GET', `clients/${app.clientId}/credentials`)
    ).json()) as unknown[];
    expect(list).toEqual([body]);
    expect(JSON.stringify(list)).not.toContain('BEGIN');
  });

  it('refuses a private key, keeping no trace of it, and other unusable keys', async () => {
    const other = await server.createApiAndClient();
    const privatePem = await exportPKCS8(rsa.privateKey);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ credential_type: 'public_key', pem: privatePem }, /private key/],
      [{ credential_type: 'public_key', pem: 'nonsense' }, /PUBLIC KEY/],
      [{ credential_type: 'public_key', pem: small.toString() }, /2048/],
      [{ credential_type: 'public_key', pem: await exportSPKI(ec.publicKey), alg: 'RS256' }, /ES256/],
      [{ credential_type: 'public_key', pem: await exportSPKI(rsa.publicKey), alg: 'HS256' }, /alg/],
      [{ credential_type: 'public_key' }, /exactly one of pem and jwks_uri/],
      [
        {
          credential_type: 'public_key',
          pem: await exportSPKI(rsa.publicKey),
          jwks_uri: 'https://a.test/jwks',
        },
        /exactly one/,
      ],
      [{ credential_type: 'public_key', jwks_uri: 'http://keys.example.com/jwks' }, /https/],
      [{ credential_type: 'x509_cert', pem: 'x' }, /credential_type/],
    ];
    for (const [body, message] of cases) {
      const res = await addCredential(other.clientId, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.message).toMatch(message);
      expect(JSON.stringify(res.body)).not.toContain('PRIVATE');
    }
    const list = (await (
      await server.management('GET', `clients/${other.clientId}/credentials`)
    ).json()) as unknown[];
    expect(list).toEqual([]);
  });

  it('deletes a credential: assertions signed with its key stop working', async () => {
    const x = await server.createApiAndClient();
    const key = await generateKeyPair('ES256', { extractable: true });
    const added = await addCredential(x.clientId, {
      credential_type: 'public_key',
      pem: await exportSPKI(key.publicKey),
    });
    expect(added.body.alg).toBe('ES256');
    const sign = () =>
      new SignJWT({ iss: x.clientId, sub: x.clientId, aud: server.issuer, jti: createUlid() })
        .setProtectedHeader({ alg: 'ES256' })
        .setExpirationTime('1m')
        .sign(key.privateKey);
    const token = (a: string) =>
      postForm(`${server.url}/oauth/token`, {
        grant_type: 'client_credentials',
        audience: x.audience,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: a,
      });
    expect((await token(await sign())).status).toBe(200);
    const deleted = await server.management('DELETE', `clients/${x.clientId}/credentials/${added.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await token(await sign())).status).toBe(401);
    expect(
      (await server.management('GET', `clients/${x.clientId}/credentials/${added.body.id}`)).status,
    ).toBe(404);
    expect((await server.management('DELETE', `clients/${x.clientId}/credentials/cred_nope`)).status).toBe(
      404,
    );
  });
});

describe('private_key_jwt at the token endpoint (RFC 7523)', () => {
  it('works from openid-client v6 (PrivateKeyJwt), found through discovery', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      app.clientId,
      {},
      client.PrivateKeyJwt(rsa.privateKey),
      { execute: [client.allowInsecureRequests] },
    );
    const tokens = await client.clientCredentialsGrant(config, {
      audience: app.audience,
      scope: 'read:things',
    });
    expect(tokens.scope).toBe('read:things');
    // The same client authentication works for introspection and revocation.
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await client.tokenRevocation(config, tokens.access_token);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  it('works from oauth4webapi (PrivateKeyJwt) with an EdDSA key registered by jwks_uri', async () => {
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    // oauth4webapi signs Ed25519 keys with alg "Ed25519" (RFC 9864); the JWK names no alg.
    const jwk = { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', use: 'sig' };
    const jwksServer: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    try {
      const x = await server.createApiAndClient();
      const port = (jwksServer.address() as AddressInfo).port;
      const added = await addCredential(x.clientId, {
        credential_type: 'public_key',
        jwks_uri: `http://127.0.0.1:${port}/jwks.json`,
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ jwks_uri: `http://127.0.0.1:${port}/jwks.json` });
      const issuer = new URL(server.issuer);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
      );
      const c = { client_id: x.clientId };
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        c,
        oauth.PrivateKeyJwt({ key: ed.privateKey, kid: 'ed-1' }),
        new URLSearchParams({ audience: x.audience }),
        { [oauth.allowInsecureRequests]: true },
      );
      const result = await oauth.processClientCredentialsResponse(as, c, response);
      expect(result.token_type).toBe('bearer');
    } finally {
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });

  it('refuses a replayed assertion with invalid_client', async () => {
    const once = await assertion();
    expect((await tokenWith(once)).status).toBe(200);
    const replay = await tokenWith(once);
    expect(replay.status).toBe(401);
    expect(replay.json).toEqual({
      error: 'invalid_client',
      error_description: 'client_assertion has been used before (jti replayed)',
    });
    expect(replay.headers.get('www-authenticate')).toBeNull();
  });

  it('lets exactly one of concurrent uses of one assertion through', async () => {
    const once = await assertion();
    const results = await Promise.all(Array.from({ length: 8 }, () => tokenWith(once)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(7);
  });

  it('accepts the token endpoint URL as aud, and client_id repeated in the body', async () => {
    const res = await tokenWith(await assertion({ aud: `${server.issuer}oauth/token` }), {
      client_id: app.clientId,
    });
    expect(res.status).toBe(200);
    const listed = await tokenWith(await assertion({ aud: ['https://other.test/', server.issuer] }));
    expect(listed.status).toBe(200);
  });

  it('refuses assertions whose claims break the rules', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Claims, RegExp][] = [
      ['no exp', { exp: undefined }, /failed/],
      ['expired', { exp: now - 120, iat: now - 180 }, /failed/],
      ['exp too far ahead', { exp: now + 600 }, /more than 300 seconds/],
      ['iat in the future', { iat: now + 300, exp: now + 200 }, /iat/],
      ['nbf in the future', { nbf: now + 120 }, /failed/],
      ['no jti', { jti: undefined }, /failed/],
      ['iss not sub', { iss: 'someone-else' }, /iss and sub/],
      ['wrong aud', { aud: 'https://elsewhere.test/' }, /failed/],
      [
        'unknown client',
        { iss: 'NoSuchClient0000000000000000000x', sub: 'NoSuchClient0000000000000000000x' },
        /failed/,
      ],
    ];
    for (const [what, claims, message] of cases) {
      const res = await tokenWith(await assertion(claims));
      expect(res.status, what).toBe(401);
      expect(res.json?.error, what).toBe('invalid_client');
      expect(res.json?.error_description, what).toMatch(message);
    }
    const mismatch = await tokenWith(await assertion(), { client_id: 'another-client' });
    expect(mismatch.status).toBe(401);
  });

  it('refuses alg none, HMAC (client_secret_jwt) and keys that are not registered', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: app.clientId, sub: app.clientId, aud: server.issuer, exp: 9e9, jti: 'x' }),
    ).toString('base64url')}.`;
    expect((await tokenWith(unsigned)).json).toMatchObject({ error: 'invalid_client' });
    const hmac = await new SignJWT({
      iss: app.clientId,
      sub: app.clientId,
      aud: server.issuer,
      jti: createUlid(),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(app.clientSecret));
    const hs = await tokenWith(hmac);
    expect(hs.status).toBe(401);
    expect(hs.json?.error_description).toMatch(/alg must be one of/);
    const stranger = await generateKeyPair('RS256');
    const forged = await tokenWith(await assertion({}, { key: stranger.privateKey }));
    expect(forged.status).toBe(401);
    expect(forged.json?.error_description).toBe('client authentication failed');
    // openid-client's ClientSecretJwt is refused the same way.
    const config = await client.discovery(
      new URL(server.issuer),
      app.clientId,
      {},
      client.ClientSecretJwt(app.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    await expect(client.clientCredentialsGrant(config, { audience: app.audience })).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });

  it('refuses a disabled client, and a client assertion mixed with a secret', async () => {
    const mixed = await postForm(
      `${server.url}/oauth/token`,
      {
        grant_type: 'client_credentials',
        audience: app.audience,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(),
      },
      app,
    );
    expect(mixed.status).toBe(400);
    expect(mixed.json?.error).toBe('invalid_request');
    const wrongType = await tokenWith(await assertion(), { client_assertion_type: 'urn:example:other' });
    expect(wrongType.status).toBe(400);
    await server.management('PATCH', `clients/${app.clientId}`, { disabled: true });
    try {
      expect((await tokenWith(await assertion())).status).toBe(401);
    } finally {
      await server.management('PATCH', `clients/${app.clientId}`, { disabled: false });
    }
  });

  it('stops accepting the secret of a client switched to private_key_jwt', async () => {
    const x = await server.createApiAndClient();
    const key = await generateKeyPair('PS256', { extractable: true });
    await addCredential(x.clientId, {
      credential_type: 'public_key',
      pem: await exportSPKI(key.publicKey),
      alg: 'PS256',
    });
    const patched = await server.management('PATCH', `clients/${x.clientId}`, {
      token_endpoint_auth_method: 'private_key_jwt',
    });
    expect(patched.status).toBe(200);
    await expect(server.getToken(x)).rejects.toThrow(/invalid_client/);
    const signed = await new SignJWT({
      iss: x.clientId,
      sub: x.clientId,
      aud: server.issuer,
      jti: createUlid(),
    })
      .setProtectedHeader({ alg: 'PS256' })
      .setExpirationTime('1m')
      .sign(key.privateKey);
    const res = await postForm(`${server.url}/oauth/token`, {
      grant_type: 'client_credentials',
      audience: x.audience,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: signed,
    });
    expect(res.status).toBe(200);
  });
});
