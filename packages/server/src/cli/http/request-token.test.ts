import { describe, expect, it } from 'vitest';
import { createBasicAuthorization } from './request-token.ts';

describe('createBasicAuthorization', () => {
  it('form-encodes id and secret before base64, as RFC 6749 section 2.3.1 requires', () => {
    const header = createBasicAuthorization('my client', 'a:b+c/d');
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decoded).toBe('my+client:a%3Ab%2Bc%2Fd');
  });

  it('leaves base64url secrets unchanged', () => {
    const header = createBasicAuthorization('abc', 'Zx_9-Q');
    expect(header).toBe(`Basic ${Buffer.from('abc:Zx_9-Q').toString('base64')}`);
  });
});
