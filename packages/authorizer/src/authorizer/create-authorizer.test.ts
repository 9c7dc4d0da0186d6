import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { type Authorizer, createAuthorizer } from './create-authorizer.ts';

describe('authorizeNow', () => {
  let idp: TestIssuer;
  let clock = Date.now();
  let revoked = false;
  let authorizer: Authorizer;
  let token: string;
  const get = (authorization: string | undefined) => ({
    method: 'GET',
    path: '/contacts/c-1',
    authorization,
  });

  beforeAll(async () => {
    idp = await startTestIssuer();
    authorizer = createAuthorizer({
      issuer: idp.issuer,
      audience: idp.audience,
      policy: contactsPolicy,
      now: () => clock,
      isRevoked: () => revoked,
      backgroundRefresh: false,
      // the deny-list here is the isRevoked hook, so a moved clock leaves nothing stale to wait for
      revocationFeed: false,
    });
    const iat = Math.floor(clock / 1000);
    token = await idp.mint({ scope: 'read:contacts', iat, exp: iat + 60 });
  });

  afterAll(async () => {
    authorizer.close();
    await idp.close();
  });

  it('answers undefined while the keys are not held, and the promise path decides instead', async () => {
    expect(authorizer.authorizeNow(get(`Bearer ${token}`))).toBeUndefined();
    const result = await authorizer.authorize(get(`Bearer ${token}`));
    expect(result.ok).toBe(true);
  });

  it('decides a held token synchronously with the caller and the route', () => {
    const result = authorizer.authorizeNow(get(`Bearer ${token}`));
    expect(result?.ok).toBe(true);
    if (!result?.ok) throw new Error('refused');
    expect(result.auth.clientId).toBe('svc-a');
    expect(result.route.path).toBe('/contacts/{id}');
  });

  it('refuses synchronously: no token, a route outside the policy, a malformed header', () => {
    const missing = authorizer.authorizeNow(get(undefined));
    expect(missing?.ok === false && missing.error.status).toBe(401);
    const route = authorizer.authorizeNow({
      method: 'PATCH',
      path: '/contacts/c-1',
      authorization: `Bearer ${token}`,
    });
    expect(route?.ok === false && route.error.status).toBe(403);
    const malformed = authorizer.authorizeNow(get('Bearer a b'));
    expect(malformed?.ok === false && malformed.error.status).toBe(400);
  });

  it('still asks the deny-list on every cached decision', () => {
    revoked = true;
    try {
      const result = authorizer.authorizeNow(get(`Bearer ${token}`));
      expect(result?.ok === false && result.error.code).toBe('ERR_JWT_REVOKED');
    } finally {
      revoked = false;
    }
    expect(authorizer.authorizeNow(get(`Bearer ${token}`))?.ok).toBe(true);
  });

  it('refuses a cached token once it has expired', () => {
    clock += 120_000;
    const result = authorizer.authorizeNow(get(`Bearer ${token}`));
    expect(result?.ok === false && result.error.code).toBe('ERR_JWT_EXPIRED');
  });
});
