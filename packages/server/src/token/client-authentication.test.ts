import { describe, expect, it } from 'vitest';
import { InvalidClient, InvalidRequest } from '../http/errors.ts';
import { parseClientCredentials } from './client-authentication.ts';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('parseClientCredentials', () => {
  it('form-url-decodes the Basic id and secret (RFC 6749 2.3.1)', () => {
    expect(parseClientCredentials(basic('my%3Aclient:s%2Bcr+t%25'), {})).toEqual({
      clientId: 'my:client',
      clientSecret: 's+cr t%',
      method: 'client_secret_basic',
    });
  });

  it('accepts the scheme in any case', () => {
    expect(parseClientCredentials(`bAsIc ${Buffer.from('a:b').toString('base64')}`, {}).clientId).toBe('a');
  });

  it('reads client_secret_post', () => {
    expect(parseClientCredentials(undefined, { client_id: 'a', client_secret: 'b' })).toEqual({
      clientId: 'a',
      clientSecret: 'b',
      method: 'client_secret_post',
    });
  });

  it('refuses two methods with invalid_request and none with invalid_client plus a Basic challenge', () => {
    expect(() => parseClientCredentials(basic('a:b'), { client_secret: 'b' })).toThrow(InvalidRequest);
    expect(() => parseClientCredentials(undefined, { client_secret: 'b' })).toThrow(InvalidRequest);
    try {
      parseClientCredentials(undefined, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidClient);
      expect((err as InvalidClient).challenge).toMatch(/^Basic realm=/);
    }
  });

  it('refuses malformed Basic credentials with invalid_client and a challenge', () => {
    for (const header of [
      'Basic',
      'Basic ',
      'Basic ***',
      basic('nocolon'),
      basic(':b'),
      basic('a:'),
      basic('%G1:b'),
      'Digest x',
    ]) {
      try {
        parseClientCredentials(header, {});
        expect.unreachable(header);
      } catch (err) {
        expect(err, header).toBeInstanceOf(InvalidClient);
        expect((err as InvalidClient).challenge, header).toBeDefined();
      }
    }
  });
});
