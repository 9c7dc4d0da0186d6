/**
 * Entity tags for contacts: the strong tag `"<version>"`. `If-Match` is parsed into the versions it
 * names; weak tags and tags of another shape can never match (strong comparison).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1
 */
import { ValidationError } from '../problems/errors.ts';

/** A parsed `If-Match`: `*` (any current contact) or the versions named by strong tags. */
export type IfMatch = { any: true } | { any: false; versions: number[] };

const ENTITY_TAG = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/y;
const VERSION = /^[1-9][0-9]{0,14}$/;
const MAX_HEADER_LENGTH = 1024;

/** The ETag of a contact version. */
export function formatEtag(version: number): string {
  return `"${version}"`;
}

/** Parses `If-Match`; undefined when absent. Throws `ValidationError` when malformed. */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
  if (value.length === 0 || value.length > MAX_HEADER_LENGTH) throw malformed();
  const versions: number[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < value.length) {
    const m = ENTITY_TAG.exec(value);
    if (!m) throw malformed();
    const [, weak, opaque = ''] = m;
    if (!weak && VERSION.test(opaque)) versions.push(Number(opaque));
  }
  return { any: false, versions };
}

function malformed(): ValidationError {
  return new ValidationError(
    [{ header: 'If-Match', detail: 'must be "*" or a list of entity tags such as "3" (with the quotes)' }],
    'The If-Match header is malformed.',
  );
}
