import { describe, expect, it } from 'vitest';
import { MAX_STATE_BYTES, REDACTED, redactPath, redactSecrets, toAuditState } from './redact-secrets.ts';

describe('redactSecrets', () => {
  it('drops secret members at any depth and keeps the rest', () => {
    expect(
      redactSecrets({
        client_id: 'abc',
        client_secret: 's3cret',
        token_lifetime: 60,
        token_endpoint_auth_method: 'client_secret_basic',
        secrets: [{ hash: 'ab' }],
        nested: {
          encryptedPrivateKey: 'x',
          password: 'p',
          access_token: 't',
          name: 'kept',
          list: [{ hash: 'h', n: 1 }],
        },
      }),
    ).toEqual({
      client_id: 'abc',
      token_lifetime: 60,
      token_endpoint_auth_method: 'client_secret_basic',
      nested: { name: 'kept', list: [{ n: 1 }] },
    });
  });

  it('drops the private members of a JWK but keeps its public ones', () => {
    expect(
      redactSecrets({
        jwk: { kty: 'RSA', n: 'nn', e: 'AQAB', d: 'dd', p: 'pp', q: 'qq', dp: '1', dq: '2', qi: '3' },
      }),
    ).toEqual({
      jwk: { kty: 'RSA', n: 'nn', e: 'AQAB' },
    });
    expect(redactSecrets({ kty: 'oct', k: 'secretbytes', kid: 'k1' })).toEqual({ kty: 'oct', kid: 'k1' });
  });

  it('replaces token- and private-key-looking values wherever they appear', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
    expect(redactSecrets({ note: jwt, list: [pem, 'plain'] })).toEqual({
      note: REDACTED,
      list: [REDACTED, 'plain'],
    });
    expect(redactSecrets({ pem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----' })).toEqual({
      pem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----',
    });
  });

  it('replaces a token pasted into a path segment', () => {
    expect(redactPath('/api/v2/clients/eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln/rotate-secret')).toBe(
      `/api/v2/clients/${REDACTED}/rotate-secret`,
    );
    expect(redactPath('/api/v2/clients/abc')).toBe('/api/v2/clients/abc');
  });

  it('caps an oversized state with a note of its size', () => {
    const big = {
      routes: Array.from({ length: 2000 }, (_, i) => ({ method: 'GET', path: `/r/${i}`, scopes: ['a'] })),
    };
    const state = toAuditState(big) as { truncated: boolean; bytes: number };
    expect(state.truncated).toBe(true);
    expect(state.bytes).toBeGreaterThan(MAX_STATE_BYTES);
    expect(toAuditState(undefined)).toBeNull();
    expect(toAuditState({ a: 1 })).toEqual({ a: 1 });
  });
});
