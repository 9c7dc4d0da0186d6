import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProductIssuer, startProductIssuer } from '../../../../../test/issuers/product-issuers.ts';
import { type Authorizer, createAuthorizer } from '../../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../../errors/bearer-response.ts';
import { ConfigurationError } from '../../errors/errors.ts';
import { contactsPolicy } from '../../testing/adapter-contract.ts';
import { createVerifier } from '../create-verifier.ts';
import type { IssuerProfileOption } from '../issuer-profile.ts';
import './index.ts';

const API = 'https://contacts.example.com';
const reader = { id: 'reader-app', secret: 's1', scopes: ['read:contacts'] };
const writer = { id: 'writer-app', secret: 's2', scopes: ['read:contacts', 'write:contacts'] };
const clients = [reader, writer];
const json = (value: unknown) => JSON.stringify(value);
const nowS = () => Math.floor(Date.now() / 1000);

interface Outcome {
  status: number;
  error?: string | undefined;
  code?: string | undefined;
}

async function judge(az: Authorizer, token: string, method = 'GET', path = '/contacts'): Promise<Outcome> {
  const result = await az.authorize({ method, path, authorization: `Bearer ${token}` });
  if (result.ok) return { status: 200 };
  const response = toBearerResponse(result.error, az);
  return {
    status: response.status,
    error: (JSON.parse(response.body) as { error?: string }).error,
    code: result.error.code,
  };
}

const refused = (code: string) => ({ status: 401, error: 'invalid_token', code });

/** Hostile cases every profile must refuse, built on the product's own token. */
function commonHostileCases(idp: () => ProductIssuer, clientId: string) {
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return [
    [
      'alg none',
      () =>
        `${Buffer.from(json({ alg: 'none', kid: idp().kid })).toString('base64url')}.${Buffer.from(json(idp().claims(clientId))).toString('base64url')}.`,
      'ERR_JWT_MALFORMED',
    ],
    [
      'HS256 under the issuer kid (algorithm confusion)',
      () => {
        const h = Buffer.from(json({ alg: 'HS256', kid: idp().kid, typ: 'JWT' })).toString('base64url');
        const p = Buffer.from(json(idp().claims(clientId))).toString('base64url');
        return `${h}.${p}.${createHmac('sha256', String(idp().kid)).update(`${h}.${p}`).digest('base64url')}`;
      },
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'signed by another key under the issuer kid',
      () => idp().signRaw(idp().headerText(), idp().claims(clientId), attacker),
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    ['expired', () => idp().mint(clientId, { exp: nowS() - 60 }), 'ERR_JWT_EXPIRED'],
    ['without exp', () => idp().mint(clientId, { exp: undefined }), 'ERR_JWT_CLAIM_INVALID'],
    [
      'from another issuer (iss differs by a trailing /)',
      () => {
        const iss = idp().issuer;
        return idp().mint(clientId, { iss: iss.endsWith('/') ? iss.slice(0, -1) : `${iss}/` });
      },
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'with a tampered payload',
      () => {
        const [h, , s] = idp().mint(clientId).split('.');
        return `${h}.${Buffer.from(json(idp().claims('writer-app'))).toString('base64url')}.${s}`;
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'with a non-string scope',
      () => idp().mint(clientId, { scope: ['read:contacts'] }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'with a scope smuggling a quote',
      () => idp().mint(clientId, { scope: 'read:contacts "x' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
  ] as const;
}

describe('auth0 profile', () => {
  let idp: ProductIssuer;
  let rfc: ProductIssuer;
  let rbac: ProductIssuer;
  let az: Authorizer;
  let azRfc: Authorizer;
  let azRbac: Authorizer;
  const make = (i: ProductIssuer) =>
    createAuthorizer({ issuer: i.issuer, audience: API, issuerProfile: 'auth0', policy: contactsPolicy });
  beforeAll(async () => {
    idp = await startProductIssuer('auth0', { audience: API, clients });
    rfc = await startProductIssuer('auth0', { audience: API, clients, rfc9068: true });
    rbac = await startProductIssuer('auth0', { audience: API, clients, permissions: true });
    az = make(idp);
    azRfc = make(rfc);
    azRbac = make(rbac);
  });
  afterAll(async () => {
    for (const a of [az, azRfc, azRbac]) a.close();
    await Promise.all([idp.close(), rfc.close(), rbac.close()]);
  });

  it('accepts an M2M token of the default Auth0 token profile and checks its scopes', async () => {
    expect(await judge(az, idp.mint('reader-app'))).toEqual({ status: 200 });
    expect(await judge(az, idp.mint('reader-app'), 'POST')).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
    });
    expect(await judge(az, idp.mint('writer-app'), 'POST')).toEqual({ status: 200 });
    const verified = await az.verifier.verify(idp.mint('writer-app'));
    expect(verified.clientId).toBe('writer-app');
  });

  it('accepts the RFC 9068 token profile (typ at+jwt, client_id, jti)', async () => {
    expect(await judge(azRfc, rfc.mint('writer-app'), 'POST')).toEqual({ status: 200 });
  });

  it('accepts aud as an array naming the API, as Auth0 writes it with /userinfo', async () => {
    expect(await judge(az, idp.mint('reader-app', { aud: [API, `${idp.issuer}userinfo`] }))).toEqual({
      status: 200,
    });
  });

  it('reads the RBAC permissions array as scopes, and refuses a permissions claim that is not an array', async () => {
    const token = rbac.mint('reader-app', { scope: undefined });
    expect((await azRbac.verifier.verify(token)).scopes).toEqual(['read:contacts']);
    expect(await judge(azRbac, rbac.mint('reader-app', { permissions: 'write:contacts' }))).toEqual(
      refused('ERR_JWT_CLAIM_INVALID'),
    );
  });

  it('is a token jose verifies too, against the same JWKS', async () => {
    const { payload, protectedHeader } = await jwtVerify(
      idp.mint('reader-app'),
      createRemoteJWKSet(new URL(`${idp.issuer}.well-known/jwks.json`)),
      { issuer: idp.issuer, audience: API },
    );
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload.gty).toBe('client-credentials');
  });

  it.each([
    ...commonHostileCases(() => idp, 'reader-app'),
    [
      'a user token (sub auth0|...)',
      () => idp.mint('reader-app', { sub: 'auth0|5f7c8ec7c33c6c004bbafe82', gty: undefined }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token for another API',
      () => idp.mint('reader-app', { aud: 'https://billing.example.com' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'gty other than client-credentials',
      () => idp.mint('reader-app', { gty: 'password' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'azp differing from the client in sub',
      () => idp.mint('reader-app', { azp: 'writer-app' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'typ id_token+jwt in the header',
      () => idp.signRaw(idp.headerText({ typ: 'id_token+jwt' }), idp.claims('reader-app')),
      'ERR_JWS_HEADER_INVALID',
    ],
  ] as const)('refuses %s', async (_name, build, code) => {
    expect(await judge(az, build())).toEqual(refused(code));
  });

  it('refuses to start with an issuer missing the trailing / every Auth0 iss has', () => {
    expect(() =>
      createVerifier({ issuer: idp.issuer.slice(0, -1), audience: API, issuerProfile: 'auth0' }),
    ).toThrow(ConfigurationError);
  });
});

describe('cognito profile', () => {
  let idp: ProductIssuer;
  let az: Authorizer;
  beforeAll(async () => {
    idp = await startProductIssuer('cognito', { audience: API, clients });
    az = createAuthorizer({
      issuer: idp.issuer,
      audience: ['reader-app', 'writer-app'],
      issuerProfile: { name: 'cognito', resourceServer: API },
      policy: contactsPolicy,
    });
  });
  afterAll(async () => {
    az.close();
    await idp.close();
  });

  it('accepts a client-credentials token (no aud, no typ) and maps <resource server>/<scope> scopes', async () => {
    const verified = await az.verifier.verify(idp.mint('writer-app'));
    expect(verified.claims.aud).toBeUndefined();
    expect(verified.scopes).toEqual(['read:contacts', 'write:contacts']);
    expect(await judge(az, idp.mint('reader-app'))).toEqual({ status: 200 });
    expect(await judge(az, idp.mint('reader-app'), 'POST')).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
    });
  });

  it('does not count a scope of another resource server, even one named like ours', async () => {
    const token = idp.mint('reader-app', {
      scope: `https://other.example.com/read:contacts ${API}x/read:contacts read:contacts`,
    });
    expect((await az.verifier.verify(token)).scopes).toEqual([]);
    expect(await judge(az, token)).toMatchObject({ status: 403 });
  });

  it('matches the issuer exactly, with no trailing slash, and refuses a configuration with one', () => {
    expect(idp.issuer.endsWith('/')).toBe(false);
    expect(() =>
      createVerifier({ issuer: `${idp.issuer}/`, audience: 'x', issuerProfile: 'cognito' }),
    ).toThrow(/does not end with "\/"/);
  });

  it.each([
    ...commonHostileCases(() => idp, 'reader-app'),
    [
      'an app client outside the allow-list',
      () => idp.mint('reader-app', { client_id: 'other-app', sub: 'other-app' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'an ID token (token_use id)',
      () => idp.mint('reader-app', { token_use: 'id', aud: 'reader-app' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token without token_use',
      () => idp.mint('reader-app', { token_use: undefined }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a user access token (sub is not the client)',
      () => idp.mint('reader-app', { sub: '8d7e2f0a-1b2c-4d5e-9f00-123456789abc', username: 'alice' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a header with typ at+jwt (not what Cognito writes)',
      () => idp.signRaw(idp.headerText({ typ: 'at+jwt' }), idp.claims('reader-app')),
      'ERR_JWS_HEADER_INVALID',
    ],
  ] as const)('refuses %s', async (_name, build, code) => {
    expect(await judge(az, build())).toEqual(refused(code));
  });
});

describe('keycloak profile', () => {
  let idp: ProductIssuer;
  let az: Authorizer;
  beforeAll(async () => {
    idp = await startProductIssuer('keycloak', { audience: API, clients });
    az = createAuthorizer({
      issuer: idp.issuer,
      audience: API,
      issuerProfile: 'keycloak',
      policy: contactsPolicy,
    });
  });
  afterAll(async () => {
    az.close();
    await idp.close();
  });

  it("accepts a service-account token with Keycloak's own header text and reads the client from azp", async () => {
    const token = idp.mint('writer-app');
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString()).toContain('"typ" : "JWT"');
    const verified = await az.verifier.verify(token);
    expect(verified.clientId).toBe('writer-app');
    expect(verified.scopes).toEqual(['read:contacts', 'write:contacts', 'profile', 'email']);
    expect(await judge(az, idp.mint('reader-app'), 'POST')).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
    });
  });

  it('accepts the RFC 9068 header (typ at+jwt) and the legacy clientId claim', async () => {
    expect(await judge(az, idp.signRaw(idp.headerText({ typ: 'at+jwt' }), idp.claims('reader-app')))).toEqual(
      { status: 200 },
    );
    expect(await judge(az, idp.mint('reader-app', { client_id: undefined, clientId: 'reader-app' }))).toEqual(
      { status: 200 },
    );
  });

  it.each([
    ...commonHostileCases(() => idp, 'reader-app'),
    ['an ID token (typ ID)', () => idp.mint('reader-app', { typ: 'ID' }), 'ERR_JWT_CLAIM_INVALID'],
    [
      'a refresh token (typ Refresh)',
      () => idp.mint('reader-app', { typ: 'Refresh' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      "a user's token (no client_id)",
      () => idp.mint('reader-app', { client_id: undefined, preferred_username: 'alice' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'client_id differing from azp',
      () => idp.mint('reader-app', { client_id: 'writer-app' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token without the API in aud (no audience mapper)',
      () => idp.mint('reader-app', { aud: 'account' }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token of another realm',
      () => idp.mint('reader-app', { iss: idp.issuer.replace('/realms/contacts', '/realms/master') }),
      'ERR_JWT_CLAIM_INVALID',
    ],
  ] as const)('refuses %s', async (_name, build, code) => {
    expect(await judge(az, build())).toEqual(refused(code));
  });
});

describe('generic profile', () => {
  let idp: ProductIssuer;
  beforeAll(async () => {
    idp = await startProductIssuer('keycloak', { audience: API, clients });
  });
  afterAll(() => idp.close());

  it('reads scope, audience and client from the claims it is told to', async () => {
    const option: IssuerProfileOption = {
      name: 'generic',
      scopeClaim: 'scp',
      audienceClaim: 'resource',
      clientIdClaim: 'azp',
    };
    const az = createAuthorizer({
      issuer: idp.issuer,
      audience: API,
      issuerProfile: option,
      policy: contactsPolicy,
    });
    try {
      const ok = idp.mint('writer-app', {
        scp: ['read:contacts', 'write:contacts'],
        resource: API,
        aud: undefined,
      });
      expect(await judge(az, ok, 'POST')).toEqual({ status: 200 });
      expect((await az.verifier.verify(ok)).clientId).toBe('writer-app');
      expect(
        await judge(
          az,
          idp.mint('writer-app', { scp: ['read:contacts'], resource: 'https://other.example' }),
        ),
      ).toEqual(refused('ERR_JWT_CLAIM_INVALID'));
      expect(await judge(az, idp.mint('writer-app', { scp: [1], resource: API }))).toEqual(
        refused('ERR_JWT_CLAIM_INVALID'),
      );
    } finally {
      az.close();
    }
  });

  it('refuses a token without typ unless told that the issuer writes none', async () => {
    const token = idp.signRaw(json({ alg: 'RS256', kid: idp.kid }), idp.claims('reader-app'));
    const az = createAuthorizer({
      issuer: idp.issuer,
      audience: API,
      issuerProfile: 'generic',
      policy: contactsPolicy,
    });
    const lax = createAuthorizer({
      issuer: idp.issuer,
      audience: API,
      issuerProfile: { name: 'generic', requireTyp: false },
      policy: contactsPolicy,
    });
    try {
      expect(await judge(az, token)).toEqual(refused('ERR_JWS_HEADER_INVALID'));
      expect(await judge(lax, token)).toEqual({ status: 200 });
    } finally {
      az.close();
      lax.close();
    }
  });

  it('refuses unknown settings and unsafe claim names at start', () => {
    const base = { issuer: 'https://idp.example', audience: API };
    expect(() =>
      createVerifier({ ...base, issuerProfile: { name: 'generic', scopeClaims: 'scp' } as never }),
    ).toThrow(/no setting scopeClaims/);
    expect(() =>
      createVerifier({ ...base, issuerProfile: { name: 'generic', scopeClaim: '__proto__' } }),
    ).toThrow(ConfigurationError);
    expect(() => createVerifier({ ...base, issuerProfile: { name: 'okta' } as never })).toThrow(
      /must be one of/,
    );
    expect(() =>
      createVerifier({ ...base, issuerProfile: { name: 'cognito', resourceServer: `${API}/` } }),
    ).toThrow(ConfigurationError);
  });
});
