import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProductIssuer, startProductIssuer } from '../../../test/issuers/product-issuers.ts';
import { TokenClientConfigError, TokenRequestError } from './errors.ts';
import { detectRequestStyle } from './request-style.ts';
import { createTokenClient } from './token-client.ts';

// The stand-ins serve each product's discovery document and token endpoint in the product's own
// shapes (sources cited in test/issuers/product-issuers.ts); the client must pick the wire format
// from discovery alone.
const API = 'https://contacts.example.com';
const clients = [
  { id: 'svc-caller', secret: 'caller-secret-Ü+/=', scopes: ['read:contacts', 'write:contacts'] },
];
const issuers: Partial<Record<'auth0' | 'cognito' | 'keycloak', ProductIssuer>> = {};
const idp = (name: 'auth0' | 'cognito' | 'keycloak') => issuers[name]!;

beforeAll(async () => {
  for (const name of ['auth0', 'cognito', 'keycloak'] as const) {
    issuers[name] = await startProductIssuer(name, { audience: API, clients });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(issuers).map((i) => i.close()));
});

describe('the token client against each issuer', () => {
  it("posts Auth0's JSON body with audience and the secret in it, found by discovery, and caches the token", async () => {
    const client = createTokenClient({
      issuer: idp('auth0').issuer,
      clientId: 'svc-caller',
      clientSecret: clients[0]!.secret,
      audience: API,
    });
    try {
      const token = await client.getToken();
      expect(await client.getToken()).toBe(token);
      expect(idp('auth0').tokenRequests).toHaveLength(1);
      expect(idp('auth0').tokenRequests[0]).toEqual({
        contentType: 'application/json',
        basicAuth: false,
        body: {
          grant_type: 'client_credentials',
          audience: API,
          client_id: 'svc-caller',
          client_secret: clients[0]!.secret,
        },
      });
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims).toMatchObject({ sub: 'svc-caller@clients', gty: 'client-credentials', aud: API });
    } finally {
      client.close();
    }
  });

  it("posts Cognito's form with Basic auth and full <resource server>/<scope> names to /oauth2/token", async () => {
    const client = createTokenClient({
      issuer: idp('cognito').issuer,
      clientId: 'svc-caller',
      clientSecret: clients[0]!.secret,
      audience: API,
      scope: ['read:contacts', `${API}/write:contacts`],
    });
    try {
      await client.getToken();
      const seen = idp('cognito').tokenRequests.at(-1);
      expect(seen).toEqual({
        contentType: 'application/x-www-form-urlencoded',
        basicAuth: true,
        body: { grant_type: 'client_credentials', scope: `${API}/read:contacts ${API}/write:contacts` },
      });
    } finally {
      client.close();
    }
  });

  it('posts the standard form with Basic auth to Keycloak', async () => {
    const client = createTokenClient({
      issuer: idp('keycloak').issuer,
      clientId: 'svc-caller',
      clientSecret: clients[0]!.secret,
    });
    try {
      await client.getToken();
      expect(idp('keycloak').tokenRequests.at(-1)).toEqual({
        contentType: 'application/x-www-form-urlencoded',
        basicAuth: true,
        body: { grant_type: 'client_credentials' },
      });
    } finally {
      client.close();
    }
  });

  it('takes an explicit requestStyle with a bare token endpoint', async () => {
    const client = createTokenClient({
      tokenEndpoint: idp('auth0').tokenEndpoint,
      requestStyle: 'auth0',
      clientId: 'svc-caller',
      clientSecret: clients[0]!.secret,
      audience: API,
    });
    try {
      await client.getToken();
      expect(idp('auth0').tokenRequests.at(-1)?.contentType).toBe('application/json');
    } finally {
      client.close();
    }
  });

  it("surfaces Auth0's 403 access_denied for an API the client may not call", async () => {
    const client = createTokenClient({
      issuer: idp('auth0').issuer,
      clientId: 'svc-caller',
      clientSecret: clients[0]!.secret,
      audience: 'https://billing.example.com',
    });
    try {
      const error = await client.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenRequestError);
      expect(error).toMatchObject({ status: 403, error: 'access_denied' });
    } finally {
      client.close();
    }
  });

  it('refuses an Auth0 client without audience, and an unknown request style', () => {
    const base = { tokenEndpoint: 'https://tenant.auth0.com/oauth/token', clientId: 'a', clientSecret: 'b' };
    expect(() => createTokenClient({ ...base, requestStyle: 'auth0' })).toThrow(TokenClientConfigError);
    expect(() => createTokenClient({ ...base, requestStyle: 'okta' as never })).toThrow(
      /requestStyle must be/,
    );
  });
});

describe('detectRequestStyle', () => {
  it.each([
    [
      {
        issuer: 'https://contacts-demo.eu.auth0.com/',
        token_endpoint: 'https://contacts-demo.eu.auth0.com/oauth/token',
      },
      'auth0',
    ],
    [
      {
        issuer: 'https://login.example.com/',
        mfa_challenge_endpoint: 'https://login.example.com/mfa/challenge',
      },
      'auth0',
    ],
    [
      {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
        token_endpoint: 'https://x.auth.eu-west-1.amazoncognito.com/oauth2/token',
      },
      'cognito',
    ],
    [
      {
        issuer: 'https://sso.example.com/realms/contacts',
        token_endpoint: 'https://sso.example.com/realms/contacts/protocol/openid-connect/token',
      },
      'standard',
    ],
    [{ issuer: 'http://localhost:4000/', token_endpoint: 'http://localhost:4000/oauth/token' }, 'standard'],
    [{ issuer: 42 }, 'standard'],
  ])('reads %j as %s', (metadata, style) => {
    expect(detectRequestStyle(metadata)).toBe(style);
  });
});
