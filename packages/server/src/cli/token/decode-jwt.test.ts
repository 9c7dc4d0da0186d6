import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { CliResponseError } from '../errors.ts';
import { decodeJwt, formatNumericDate } from './decode-jwt.ts';

describe('decodeJwt', () => {
  it('returns the header and claims of a JWT signed by a real library', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ scope: 'read:contacts', client_id: 'c1' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer('http://localhost:4000/')
      .setAudience('https://contacts.example')
      .setExpirationTime('1h')
      .sign(privateKey);
    const decoded = decodeJwt(token);
    expect(decoded.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(decoded.payload).toMatchObject({
      iss: 'http://localhost:4000/',
      aud: 'https://contacts.example',
      scope: 'read:contacts',
      client_id: 'c1',
    });
  });

  it('refuses what is not a three-part JWS with JSON object parts', () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of [
      'opaque-token',
      'a.b',
      `${part({ alg: 'none' })}.${part({})}.sig.extra`,
      `${part({ alg: 'none' })}.not+base64url.sig`,
      `${part({ alg: 'none' })}.${Buffer.from('not json').toString('base64url')}.sig`,
      `${part({ alg: 'none' })}.${part([1, 2])}.sig`,
    ]) {
      expect(() => decodeJwt(bad), bad).toThrow(CliResponseError);
    }
  });
});

describe('formatNumericDate', () => {
  it('shows the date with the time to or since it', () => {
    expect(formatNumericDate(1_700_003_600, 1_700_000_000)).toBe('2023-11-14T23:13:20.000Z (in 3600 s)');
    expect(formatNumericDate(1_700_000_000, 1_700_000_060)).toBe('2023-11-14T22:13:20.000Z (60 s ago)');
  });

  it('says "0 s ago" for the present moment', () => {
    expect(formatNumericDate(1_700_000_000, 1_700_000_000)).toMatch(/\(0 s ago\)$/);
  });

  it('skips a claim that is not a number', () => {
    expect(formatNumericDate('soon', 0)).toBeUndefined();
  });
});
