/**
 * Interoperability: mainstream OAuth clients obtain gatehouse tokens, and mainstream JWT verifiers
 * accept them knowing nothing but the issuer's discovery document and JWKS.
 */
import type { AddressInfo } from 'node:net';
import { type ApiAndClient, startTestServer, type TestServer } from '@gatehouse/server/testing';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: TestServer;
let rs256: ApiAndClient;
const byAlg = new Map<string, ApiAndClient>();

beforeAll(async () => {
  server = await startTestServer();
  rs256 = await server.createApiAndClient({
    identifier: 'https://contacts.interop.test/',
    scopes: ['read:contacts', 'write:contacts'],
  });
  byAlg.set('RS256', rs256);
  for (const alg of ['PS256', 'ES256', 'EdDSA'] as const) {
    byAlg.set(
      alg,
      await server.createApiAndClient({
        identifier: `https://${alg.toLowerCase()}.interop.test/`,
        signingAlg: alg,
      }),
    );
  }
});
afterAll(async () => {
  await server?.close();
});

describe('clients obtain tokens', () => {
  it('openid-client v6 discovers the server and runs the client credentials grant (client_secret_post)', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      rs256.clientId,
      rs256.clientSecret,
      undefined,
      {
        execute: [client.allowInsecureRequests],
      },
    );
    const tokens = await client.clientCredentialsGrant(config, {
      audience: rs256.audience,
      scope: 'read:contacts',
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('read:contacts');
    expect(tokens.expiresIn()).toBeGreaterThan(3500);
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
  });

  it('openid-client v6 with client_secret_basic and RFC 8707 resource', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      rs256.clientId,
      {},
      client.ClientSecretBasic(rs256.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    const tokens = await client.clientCredentialsGrant(config, { resource: rs256.audience });
    expect(tokens.scope).toBe('read:contacts write:contacts');
  });

  it('openid-client surfaces invalid_client as an OAuth error', async () => {
    const config = await client.discovery(new URL(server.issuer), rs256.clientId, 'wrong-secret', undefined, {
      execute: [client.allowInsecureRequests],
    });
    await expect(client.clientCredentialsGrant(config, { audience: rs256.audience })).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });

  for (const algorithm of ['oidc', 'oauth2'] as const) {
    it(`oauth4webapi discovers (${algorithm}) and gets a token with client_secret_basic`, async () => {
      const issuer = new URL(server.issuer);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm, [oauth.allowInsecureRequests]: true }),
      );
      expect(as.token_endpoint).toBe(`${server.issuer}oauth/token`);
      const c: oauth.Client = { client_id: rs256.clientId };
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        c,
        oauth.ClientSecretBasic(rs256.clientSecret),
        new URLSearchParams({ audience: rs256.audience, scope: 'write:contacts' }),
        { [oauth.allowInsecureRequests]: true },
      );
      const result = await oauth.processClientCredentialsResponse(as, c, response);
      expect(result.token_type).toBe('bearer');
      expect(result.scope).toBe('write:contacts');
    });
  }
});

describe('verifiers accept the tokens with nothing but discovery and JWKS', () => {
  const tokenFor = (alg: string, scope?: string) => {
    const x = byAlg.get(alg)!;
    return server.getToken({ ...x, ...(scope !== undefined ? { scope } : {}) });
  };

  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    it(`jose createRemoteJWKSet + jwtVerify (typ at+jwt) verifies ${alg}`, async () => {
      const meta = (await (await fetch(`${server.issuer}.well-known/oauth-authorization-server`)).json()) as {
        jwks_uri: string;
      };
      const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
      const { payload, protectedHeader } = await jwtVerify(await tokenFor(alg), jwks, {
        issuer: server.issuer,
        audience: byAlg.get(alg)!.audience,
        typ: 'at+jwt',
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload.client_id).toBe(byAlg.get(alg)!.clientId);
    });

    it(`aws-jwt-verify JwtVerifier ${alg === 'PS256' ? 'refuses (library limitation)' : 'verifies'} ${alg}`, async () => {
      // aws-jwt-verify fetches with node:https only; the injected fetcher lets it read the test server's http JWKS.
      const jwksCache = new SimpleJwksCache({
        fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
      });
      const verifier = JwtVerifier.create(
        {
          issuer: server.issuer,
          audience: byAlg.get(alg)!.audience,
          jwksUri: `${server.issuer}.well-known/jwks.json`,
        },
        { jwksCache },
      );
      if (alg === 'PS256') {
        // aws-jwt-verify 5 implements RS*, ES* and EdDSA only: an API it guards must not choose PS256.
        await expect(verifier.verify(await tokenFor(alg))).rejects.toThrow(/algorithm not allowed: PS256/);
        return;
      }
      const payload = await verifier.verify(await tokenFor(alg));
      expect(payload.sub).toBe(byAlg.get(alg)!.clientId);
      await expect(
        verifier.verify(await server.getToken(alg === 'RS256' ? byAlg.get('ES256')! : rs256)),
      ).rejects.toThrow();
    });
  }

  for (const alg of ['RS256', 'PS256', 'ES256']) {
    it(`jwks-rsa + jsonwebtoken verify ${alg}`, async () => {
      const keys = jwksClient({ jwksUri: `${server.issuer}.well-known/jwks.json` });
      const token = await tokenFor(alg);
      const { kid } = decodeProtectedHeader(token);
      const key = (await keys.getSigningKey(kid)).getPublicKey();
      const payload = jwt.verify(token, key, {
        issuer: server.issuer,
        audience: byAlg.get(alg)!.audience,
        algorithms: [alg as jwt.Algorithm],
      }) as jwt.JwtPayload;
      expect(payload.gty).toBe('client-credentials');
      expect(() =>
        jwt.verify(token, key, { issuer: server.issuer, audience: 'https://other.test/' }),
      ).toThrow(/audience/);
    });
  }

  it('express-oauth2-jwt-bearer (strict RFC 9068 mode) protects a real express app with requiredScopes', async () => {
    const app = express();
    app.use(auth({ issuerBaseURL: server.issuer, audience: rs256.audience, strict: true }));
    app.get('/contacts', requiredScopes('read:contacts'), (_req, res) => {
      res.json({ items: [] });
    });
    app.post('/contacts', requiredScopes('write:contacts'), (_req, res) => {
      res.status(201).json({ ok: true });
    });
    const listener = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      const readOnly = await server.getToken({ ...rs256, scope: 'read:contacts' });
      const read = await fetch(`${base}/contacts`, { headers: { authorization: `Bearer ${readOnly}` } });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ items: [] });
      const write = await fetch(`${base}/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${readOnly}` },
      });
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
      const none = await fetch(`${base}/contacts`);
      expect(none.status).toBe(401);
      const otherApi = await server.getToken(byAlg.get('PS256')!);
      expect(
        (await fetch(`${base}/contacts`, { headers: { authorization: `Bearer ${otherApi}` } })).status,
      ).toBe(401);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
