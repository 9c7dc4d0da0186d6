import { describe, expect, it } from 'vitest';
import { toBearerResponse } from './bearer-response.ts';
import {
  AuthorizerError,
  ClaimInvalid,
  InsufficientScope,
  InvalidRequest,
  InvalidToken,
  KeysUnavailable,
  MissingToken,
  RouteNotAllowed,
  SignatureInvalid,
  TokenExpired,
  VerificationUnavailable,
} from './errors.ts';

describe('refusals and their RFC 6750 answers', () => {
  it.each([
    [new MissingToken(), 401, 'Bearer realm="api"', undefined],
    [
      new InvalidRequest('bad header'),
      400,
      'Bearer realm="api", error="invalid_request", error_description="bad header"',
      'invalid_request',
    ],
    [
      new TokenExpired(),
      401,
      'Bearer realm="api", error="invalid_token", error_description="Token expired"',
      'invalid_token',
    ],
    [
      new InsufficientScope(['write:contacts']),
      403,
      'Bearer realm="api", error="insufficient_scope", error_description="Token lacks a required scope", scope="write:contacts"',
      'insufficient_scope',
    ],
    [
      new RouteNotAllowed(),
      403,
      'Bearer realm="api", error="insufficient_scope", error_description="No route allows this request"',
      'insufficient_scope',
    ],
  ])('maps %s to its status, challenge and body', (error, status, challenge, code) => {
    const answer = toBearerResponse(error, { realm: 'api' });
    expect(answer.status).toBe(status);
    expect(answer.headers['www-authenticate']).toBe(challenge);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body).error).toBe(code);
  });

  it('answers unavailable keys with 503 and Retry-After, without a challenge', () => {
    for (const error of [new KeysUnavailable(), new VerificationUnavailable()]) {
      const answer = toBearerResponse(error);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('5');
      expect(answer.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('keeps the class hierarchy and stable codes', () => {
    expect(new SignatureInvalid()).toBeInstanceOf(InvalidToken);
    expect(new ClaimInvalid('aud', 'mismatch')).toBeInstanceOf(InvalidToken);
    expect(new TokenExpired()).toBeInstanceOf(AuthorizerError);
    expect(new SignatureInvalid().code).toBe('ERR_JWS_SIGNATURE_INVALID');
    expect(new ClaimInvalid('aud', 'mismatch').message).toBe('aud mismatch');
  });

  it('omits the realm when none is set', () => {
    expect(toBearerResponse(new MissingToken()).headers['www-authenticate']).toBe('Bearer');
  });
});
