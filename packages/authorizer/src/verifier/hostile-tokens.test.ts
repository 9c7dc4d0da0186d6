import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authorizer, createAuthorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { createTestKey, startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createVerifier } from './create-verifier.ts';

const policy = {
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
  ],
};

let idp: TestIssuer;
let other: TestIssuer;
let authorizer: Authorizer;
const revoked = new Set<string>();

interface Outcome {
  status: number;
  error: string | undefined;
  code: string | undefined;
  challenge: string | undefined;
}

async function judge(
  authorization: string | undefined,
  method = 'GET',
  path = '/contacts',
  az = authorizer,
): Promise<Outcome> {
  const result = await az.authorize({ method, path, authorization });
  if (result.ok) return { status: 200, error: undefined, code: undefined, challenge: undefined };
  const response = toBearerResponse(result.error, az);
  const body = JSON.parse(response.body) as { error?: string };
  return {
    status: response.status,
    error: body.error,
    code: result.error.code,
    challenge: response.headers['www-authenticate'],
  };
}

const bearer = (token: string) => `Bearer ${token}`;
const json = (value: unknown) => JSON.stringify(value);
const nowS = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  idp = await startTestIssuer();
  other = await startTestIssuer();
  authorizer = createAuthorizer({
    issuer: idp.issuer,
    audience: idp.audience,
    policy,
    isRevoked: (claims) => typeof claims.jti === 'string' && revoked.has(claims.jti),
  });
});

afterAll(async () => {
  authorizer.close();
  await idp.close();
  await other.close();
});

describe('tokens that must be accepted', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)(
    'accepts a valid %s token and agrees with jose',
    async (alg) => {
      const token = await idp.mint({ scope: 'read:contacts write:contacts' }, { alg });
      const verifier = createVerifier({ issuer: idp.issuer, audience: idp.audience });
      const ours = await verifier.verify(token);
      verifier.close();
      const reference = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
        issuer: idp.issuer,
        audience: idp.audience,
        typ: 'at+jwt',
      });
      expect(ours.claims).toEqual(reference.payload);
      expect(ours.clientId).toBe('svc-a');
      expect(ours.scopes).toEqual(['read:contacts', 'write:contacts']);
      expect((await judge(bearer(token), 'POST', '/contacts')).status).toBe(200);
    },
  );

  it('accepts typ application/at+jwt in any case, and aud as an array naming the API', async () => {
    const token = await idp.mint(
      { aud: ['https://other.example/', idp.audience] },
      { header: { typ: 'Application/AT+JWT' } },
    );
    expect((await judge(bearer(token))).status).toBe(200);
  });

  it('accepts nbf and iat within the clock tolerance', async () => {
    const token = await idp.mint({ nbf: nowS() + 3, iat: nowS() + 3 });
    expect((await judge(bearer(token))).status).toBe(200);
  });
});

describe('hostile tokens', () => {
  const cases: Array<[string, () => Promise<string> | string, number, string, string]> = [
    // [name, build token, status, RFC 6750 error, stable code]
    [
      'alg none with an empty signature',
      () =>
        `${Buffer.from(json({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(json(idp.claims())).toString('base64url')}.`,
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    [
      'alg none with a signature part',
      () =>
        idp.signRaw(
          json({ alg: 'none', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          json(idp.claims()),
          idp.keys.RS256,
          'RS256',
        ),
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'HS256 signed with the public key PEM as the secret (algorithm confusion)',
      () => {
        const pem = createPublicKey(idp.keys.RS256.privateKey).export({ type: 'spki', format: 'pem' });
        return idp.signRaw(
          json({ alg: 'HS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          json(idp.claims()),
          { hmacSecret: pem },
        );
      },
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'HS256 signed with the JWK modulus as the secret',
      () =>
        idp.signRaw(json({ alg: 'HS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }), json(idp.claims()), {
          hmacSecret: String(idp.keys.RS256.jwk.n),
        }),
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'an algorithm outside the allow-list (RS384 with the real key)',
      () =>
        idp.signRaw(
          json({ alg: 'RS384', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          json(idp.claims()),
          idp.keys.RS256,
          'RS384',
        ),
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'alg ES256 naming an RSA key',
      () =>
        idp.signRaw(
          json({ alg: 'ES256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          json(idp.claims()),
          idp.keys.ES256,
        ),
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'PS256 with a key published for RS256 only',
      () =>
        idp.signRaw(
          json({ alg: 'PS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          json(idp.claims()),
          idp.keys.RS256,
          'PS256',
        ),
      401,
      'invalid_token',
      'ERR_JWS_ALG_NOT_ALLOWED',
    ],
    [
      'an all-zero ECDSA signature (psychic signature)',
      () => {
        const h = Buffer.from(json({ alg: 'ES256', kid: idp.keys.ES256.kid, typ: 'at+jwt' })).toString(
          'base64url',
        );
        const p = Buffer.from(json(idp.claims())).toString('base64url');
        return `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`;
      },
      401,
      'invalid_token',
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'an ECDSA signature with r = 0',
      async () => {
        const token = await idp.mint({}, { alg: 'ES256' });
        const sig = Buffer.from(token.split('.')[2]!, 'base64url');
        sig.fill(0, 0, 32);
        return `${token.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
      },
      401,
      'invalid_token',
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      "a key the attacker made, with the issuer key's kid",
      () =>
        idp.mint(
          { scope: 'write:contacts read:contacts' },
          { key: { ...createTestKey('RS256'), kid: idp.keys.RS256.kid } },
        ),
      401,
      'invalid_token',
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'a tampered payload (scope widened after signing)',
      async () => {
        const [h, , s] = (await idp.mint()).split('.');
        const widened = Buffer.from(json(idp.claims({ scope: 'read:contacts write:contacts' }))).toString(
          'base64url',
        );
        return `${h}.${widened}.${s}`;
      },
      401,
      'invalid_token',
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'a signature truncated by one byte',
      async () => {
        const token = await idp.mint();
        const [h, p, s] = token.split('.');
        return `${h}.${p}.${Buffer.from(s!, 'base64url').subarray(1).toString('base64url')}`;
      },
      401,
      'invalid_token',
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'an embedded jwk header with the attacker key',
      () => {
        const attacker = createTestKey('RS256');
        return idp.mint({}, { key: attacker, header: { jwk: attacker.jwk } });
      },
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'a jku header pointing at the attacker',
      () => idp.mint({}, { header: { jku: 'https://attacker.example/jwks.json' } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'an x5u header',
      () => idp.mint({}, { header: { x5u: 'https://attacker.example/cert.pem' } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'an x5c header',
      () => idp.mint({}, { header: { x5c: ['MIIB'] } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'a kid with a path traversal',
      () => idp.mint({}, { header: { kid: '../../../../../../dev/null' } }),
      401,
      'invalid_token',
      'ERR_JWKS_NO_MATCHING_KEY',
    ],
    [
      'a kid with an SQL injection',
      () => idp.mint({}, { header: { kid: "x' UNION SELECT 'secret' --" } }),
      401,
      'invalid_token',
      'ERR_JWKS_NO_MATCHING_KEY',
    ],
    [
      'a missing kid',
      () => idp.mint({}, { header: { kid: undefined } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'an unknown crit extension',
      () =>
        idp.signRaw(
          json({ alg: 'RS256', kid: idp.keys.RS256.kid, typ: 'at+jwt', crit: ['exp-ext'], 'exp-ext': true }),
          json(idp.claims()),
          idp.keys.RS256,
        ),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'typ JWT instead of at+jwt',
      () => idp.mint({}, { header: { typ: 'JWT' } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'no typ',
      () => idp.mint({}, { header: { typ: undefined } }),
      401,
      'invalid_token',
      'ERR_JWS_HEADER_INVALID',
    ],
    [
      'an expired token',
      () => idp.mint({ iat: nowS() - 600, exp: nowS() - 60 }),
      401,
      'invalid_token',
      'ERR_JWT_EXPIRED',
    ],
    [
      'a token without exp',
      () => idp.mint({ exp: undefined }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a string exp',
      () => idp.mint({ exp: String(nowS() + 300) }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'nbf in the future',
      () => idp.mint({ nbf: nowS() + 120 }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'iat in the future',
      () => idp.mint({ iat: nowS() + 120 }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a look-alike issuer (no trailing slash)',
      () => idp.mint({ iss: idp.issuer.slice(0, -1) }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a look-alike issuer (other host name for the same place)',
      () => idp.mint({ iss: idp.issuer.replace('127.0.0.1', 'localhost') }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a wrong audience',
      () => idp.mint({ aud: 'https://billing.example/' }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'an audience array without this API',
      () => idp.mint({ aud: ['https://billing.example/', `${idp.audience}x`] }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    ["another issuer's token", () => other.mint(), 401, 'invalid_token', 'ERR_JWKS_NO_MATCHING_KEY'],
    [
      "another issuer's token claiming our iss",
      () => other.mint({ iss: idp.issuer }),
      401,
      'invalid_token',
      'ERR_JWKS_NO_MATCHING_KEY',
    ],
    [
      'a token without sub',
      () => idp.mint({ sub: undefined }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token without client_id',
      () => idp.mint({ client_id: undefined }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a token without jti',
      () => idp.mint({ jti: undefined }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a scope claim that is not a string',
      () => idp.mint({ scope: ['read:contacts'] }),
      401,
      'invalid_token',
      'ERR_JWT_CLAIM_INVALID',
    ],
    [
      'a revoked jti (deny-list hook)',
      async () => {
        revoked.add('revoked-jti');
        return idp.mint({ jti: 'revoked-jti' });
      },
      401,
      'invalid_token',
      'ERR_JWT_REVOKED',
    ],
    [
      'duplicate scope members in the payload',
      () => {
        const c = json(idp.claims({ scope: 'read:contacts' }));
        const payload = `${c.slice(0, -1)},"scope":"read:contacts write:contacts"}`;
        return idp.signRaw(
          json({ alg: 'RS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          payload,
          idp.keys.RS256,
        );
      },
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    [
      '__proto__ in the payload',
      () => {
        const c = json(idp.claims());
        const payload = `${c.slice(0, -1)},"__proto__":{"scope":"write:contacts"}}`;
        return idp.signRaw(
          json({ alg: 'RS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          payload,
          idp.keys.RS256,
        );
      },
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    [
      'duplicate alg members in the header',
      () =>
        idp.signRaw(
          `{"alg":"none","kid":"${idp.keys.RS256.kid}","typ":"at+jwt","alg":"RS256"}`,
          json(idp.claims()),
          idp.keys.RS256,
        ),
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    [
      'a payload that is not JSON',
      () =>
        idp.signRaw(
          json({ alg: 'RS256', kid: idp.keys.RS256.kid, typ: 'at+jwt' }),
          'not json',
          idp.keys.RS256,
        ),
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    ['five parts (JWE shape)', () => 'a.b.c.d.e', 401, 'invalid_token', 'ERR_JWT_MALFORMED'],
    ['a bare word', () => 'hello', 401, 'invalid_token', 'ERR_JWT_MALFORMED'],
    [
      'base64 padding in a part',
      async () => `${await idp.mint()}==`,
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
    [
      'a token over the length limit',
      () => `a.${'b'.repeat(9000)}.c`,
      401,
      'invalid_token',
      'ERR_JWT_MALFORMED',
    ],
  ];

  it('covers at least 30 hostile cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('refuses %s', async (_name, build, status, error, code) => {
    const outcome = await judge(bearer(await build()));
    expect(outcome).toMatchObject({ status, error, code });
    expect(outcome.challenge).toContain(`error="${error}"`);
  });

  it('refuses a token whose characters only match the signed bytes in their low 8 bits', async () => {
    // the signing input is copied one byte per character: 'Ł' (U+0141) there reads as 'A' (0x41)
    const verifier = createVerifier({ issuer: idp.issuer, audience: idp.audience, cacheSize: 0 });
    try {
      const token = await idp.mint();
      await verifier.verify(token); // its protected header is now a known one
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const alias = (part: string) => `${String.fromCharCode(part.charCodeAt(0) + 0x100)}${part.slice(1)}`;
      for (const forged of [
        `${alias(header)}.${payload}.${signature}`,
        `${header}.${alias(payload)}.${signature}`,
        `${header}.${payload}.${alias(signature)}`,
      ]) {
        await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'ERR_JWT_MALFORMED' });
        expect(() => verifier.verifyNow(forged)).toThrow(
          expect.objectContaining({ code: 'ERR_JWT_MALFORMED' }),
        );
      }
    } finally {
      verifier.close();
    }
  });

  it('refuses a token whose key was removed from the JWKS, cached or not', async () => {
    const rotating = await startTestIssuer();
    const verifierAz = createAuthorizer({
      issuer: rotating.issuer,
      audience: rotating.audience,
      policy,
      jwks: { unknownKidCooldownSeconds: 0, minRefreshSeconds: 0, defaultMaxAgeSeconds: 0 },
    });
    try {
      const cached = await rotating.mint();
      expect((await judge(bearer(cached), 'GET', '/contacts', verifierAz)).status).toBe(200);
      const fresh = await rotating.mint();
      rotating.setJwks([rotating.keys.ES256.jwk]);
      // the first refresh may share a fetch the stale keys started before setJwks (keys expire at
      // once here); the second is sure to read the new JWKS
      await verifierAz.verifier.refresh();
      await verifierAz.verifier.refresh();
      expect(await judge(bearer(fresh), 'GET', '/contacts', verifierAz)).toMatchObject({
        status: 401,
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
      expect(await judge(bearer(cached), 'GET', '/contacts', verifierAz)).toMatchObject({
        status: 401,
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
    } finally {
      verifierAz.close();
      await rotating.close();
    }
  });

  it('refuses a cached token once it is revoked', async () => {
    const token = await idp.mint({ jti: 'revoke-later' });
    expect((await judge(bearer(token))).status).toBe(200);
    revoked.add('revoke-later');
    expect(await judge(bearer(token))).toMatchObject({
      status: 401,
      error: 'invalid_token',
      code: 'ERR_JWT_REVOKED',
    });
  });

  it('refuses a cached token once it expires', async () => {
    let clock = Date.now();
    const az = createAuthorizer({ issuer: idp.issuer, audience: idp.audience, policy, now: () => clock });
    try {
      const token = await idp.mint({ exp: Math.floor(clock / 1000) + 30 });
      expect((await judge(bearer(token), 'GET', '/contacts', az)).status).toBe(200);
      clock += 36_000;
      expect(await judge(bearer(token), 'GET', '/contacts', az)).toMatchObject({
        status: 401,
        code: 'ERR_JWT_EXPIRED',
      });
    } finally {
      az.close();
    }
  });

  it('answers 503 when the JWKS is unreachable and no key is known', async () => {
    const down = await startTestIssuer();
    down.setAvailable(false);
    const az = createAuthorizer({ issuer: down.issuer, audience: down.audience, policy });
    try {
      const outcome = await judge(bearer(await down.mint()), 'GET', '/contacts', az);
      expect(outcome).toMatchObject({
        status: 503,
        code: 'ERR_JWKS_UNAVAILABLE',
        error: 'temporarily_unavailable',
      });
      expect(outcome.challenge).toBeUndefined();
    } finally {
      az.close();
      await down.close();
    }
  });

  it('answers 503 when the issuer is not even listening', async () => {
    const gone = await startTestIssuer();
    const token = await gone.mint();
    await gone.close();
    const az = createAuthorizer({ issuer: gone.issuer, audience: gone.audience, policy });
    try {
      expect(await judge(bearer(token), 'GET', '/contacts', az)).toMatchObject({
        status: 503,
        code: 'ERR_JWKS_UNAVAILABLE',
      });
    } finally {
      az.close();
    }
  });
});

describe('scopes and routes', () => {
  it('refuses a token without the scope with 403 insufficient_scope naming it', async () => {
    const outcome = await judge(bearer(await idp.mint({ scope: 'read:contacts' })), 'POST', '/contacts');
    expect(outcome).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
    });
    expect(outcome.challenge).toContain('scope="write:contacts"');
  });

  it.each(['read:contacts2', 'read:contact', 'READ:CONTACTS', 'read:contacts:all'])(
    'refuses the scope look-alike %s',
    async (scope) => {
      expect(await judge(bearer(await idp.mint({ scope })))).toMatchObject({
        status: 403,
        error: 'insufficient_scope',
      });
    },
  );

  it('does not reuse a cached allow for another method', async () => {
    const token = await idp.mint({ scope: 'read:contacts' });
    expect((await judge(bearer(token), 'GET', '/contacts/1')).status).toBe(200);
    expect(await judge(bearer(token), 'DELETE', '/contacts/1')).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
    });
    expect((await judge(bearer(token), 'GET', '/contacts/1')).status).toBe(200);
  });

  it('denies a route no rule covers, even to a valid token', async () => {
    expect(await judge(bearer(await idp.mint()), 'GET', '/admin')).toMatchObject({
      status: 403,
      code: 'ERR_ROUTE_NOT_ALLOWED',
    });
  });

  it('refuses a path that could reach another route with 400 invalid_request', async () => {
    const token = await idp.mint({ scope: 'read:contacts' });
    expect(await judge(bearer(token), 'GET', '/contacts/..%2F..%2Fadmin')).toMatchObject({
      status: 400,
      error: 'invalid_request',
    });
  });
});

describe('the Authorization header', () => {
  it('answers a missing header with a bare Bearer challenge and no error code', async () => {
    const outcome = await judge(undefined);
    expect(outcome).toEqual({
      status: 401,
      error: undefined,
      code: 'ERR_TOKEN_MISSING',
      challenge: 'Bearer realm="gatehouse"',
    });
  });

  it('treats another scheme as no bearer token', async () => {
    expect(await judge('Basic dXNlcjpwYXNz')).toMatchObject({ status: 401, error: undefined });
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer "quoted"', 'Bearer a,b'])(
    'answers %j with 400 invalid_request',
    async (h) => {
      expect(await judge(h)).toMatchObject({
        status: 400,
        error: 'invalid_request',
        code: 'ERR_INVALID_REQUEST',
      });
    },
  );

  it('accepts the scheme in any case', async () => {
    expect((await judge(`bEaReR ${await idp.mint()}`)).status).toBe(200);
  });
});
