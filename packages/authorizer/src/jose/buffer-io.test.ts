import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readUtf8, writeAscii, writeBase64url } from './buffer-io.ts';

describe('buffer-io', () => {
  it('decodes base64url as Buffer#write does, counting only what it decoded', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const ours = Buffer.alloc(256, 7);
        const theirs = Buffer.alloc(256, 7);
        expect(writeBase64url(ours, text)).toBe(theirs.write(text, 0, 'base64url'));
        expect(ours).toEqual(theirs);
      }),
    );
    expect(writeBase64url(Buffer.alloc(8), 'QU*JD')).toBe(3);
  });

  it('copies characters one byte each, as latin1, and never past the length or the buffer', () => {
    const into = Buffer.alloc(4);
    expect(writeAscii(into, 'abc.def', 3)).toBe(3);
    expect(into.toString('latin1')).toBe('abc\0');
    expect(writeAscii(into, '\u0141\xe9xyz', 9)).toBe(4);
    expect([...into]).toEqual([0x41, 0xe9, 0x78, 0x79]);
  });

  it('reads UTF-8, invalid sequences as U+FFFD', () => {
    const from = Buffer.from([0x7b, 0xc3, 0xa9, 0xff, 0x7d]);
    expect(readUtf8(from, 3)).toBe('{é');
    expect(readUtf8(from, 5)).toBe('{é\uFFFD}');
  });
});
