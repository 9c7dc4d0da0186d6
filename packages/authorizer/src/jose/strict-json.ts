/**
 * JSON objects parsed strictly for JOSE: `JSON.parse` (fast, native) followed by a check that no
 * object repeats a member name and none is named `__proto__`. Parsers disagree on duplicates (first
 * or last wins), so a signed JSON text with duplicates could mean two things; RFC 7515 lets a
 * verifier refuse it, and we do.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4
 */

const MAX_DEPTH = 16;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/** Every JSON string in turn (so matches stay aligned), with the colon that makes it a member name. */
const STRING = /"(?:[^"\\]|\\.)*"(\s*:)?/g;

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Counts member names in the JSON text. The fast count (`exact` false) looks at every colon once:
 * `":` not preceded by a backslash counts (every member name written without whitespace before its
 * colon, plus any string value holding `":`, so it can only over-count); -1 when an escape or
 * whitespace before a colon makes it unsure. The exact count walks string by string.
 */
function countMemberNames(text: string, exact: boolean): number {
  if (exact) {
    let names = 0;
    for (const match of text.matchAll(STRING)) if (match[1] !== undefined) names++;
    return names;
  }
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    const before = text.charCodeAt(i - 1);
    if (before === QUOTE) {
      if (text.charCodeAt(i - 2) === BACKSLASH) return -1;
      count++;
    } else if (isJsonWhitespace(before)) return -1;
  }
  return count;
}

/** Counts members of parsed objects, or -1 when one is named `__proto__` or nesting is too deep. */
function countMembers(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth > MAX_DEPTH) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const n = countMembers(item, depth + 1);
      if (n < 0) return -1;
      count += n;
    }
    return count;
  }
  for (const key in value) {
    if (key === '__proto__') return -1;
    count++;
    const n = countMembers((value as Record<string, unknown>)[key], depth + 1);
    if (n < 0) return -1;
    count += n;
  }
  return count;
}

/**
 * Parses a JSON text that must hold one object; null when it is not valid JSON, not an object,
 * repeats a member name, has a `__proto__` member or nests deeper than 16 levels.
 */
export function parseStrictJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const members = countMembers(value, 0);
  if (members < 0) return null;
  // no duplicates iff the parsed objects hold as many members as the text names; the fast count is
  // -1 when whitespace or an escape precedes a colon (a name it missed could hide a duplicate)
  if (countMemberNames(text, false) === members) return value as Record<string, unknown>;
  // it can only over-count (a string value starting with a colon): then count exactly
  if (members !== countMemberNames(text, true)) return null;
  return value as Record<string, unknown>;
}
