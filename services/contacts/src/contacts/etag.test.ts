import { describe, expect, it } from 'vitest';
import { ValidationError } from '../problems/errors.ts';
import { formatEtag, parseIfMatch } from './etag.ts';

describe('ETag and If-Match', () => {
  it('formats a version as a strong entity tag', () => {
    expect(formatEtag(3)).toBe('"3"');
  });

  it('parses *, one tag and a list, ignoring weak and foreign tags', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch(' * ')).toEqual({ any: true });
    expect(parseIfMatch('"3"')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch('"1", W/"2" ,"abc", "4"')).toEqual({ any: false, versions: [1, 4] });
    expect(parseIfMatch('"07"')).toEqual({ any: false, versions: [] });
  });

  it('refuses malformed values with a ValidationError naming the header', () => {
    for (const bad of ['3', '"3', '"3" "4"', '', '"a"x', `"${'1'.repeat(2000)}"`]) {
      const error = (() => {
        try {
          parseIfMatch(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error, bad).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors[0]?.header).toBe('If-Match');
    }
  });
});
