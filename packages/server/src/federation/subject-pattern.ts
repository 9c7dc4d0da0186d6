/**
 * The `subject` of a federated credential: the exact `sub` a workload's platform token must carry,
 * or a prefix pattern ending in `*` after a `:` or `/` (`system:serviceaccount:payments:*`,
 * `repo:acme/api:*`, `spiffe://prod.acme.example/ns/payments/*`). The `*` matches a non-empty rest;
 * it may appear only once, at the end, so a pattern can never widen to "anyone the issuer signs".
 */

/** Longest subject or pattern accepted. */
export const MAX_SUBJECT_LENGTH = 512;
/** Shortest fixed part before a trailing `*`. */
const MIN_PREFIX_LENGTH = 4;

/** Why a subject pattern is refused; undefined when it is valid. */
export function describeSubjectPatternError(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > MAX_SUBJECT_LENGTH) {
    return `must be 1 to ${MAX_SUBJECT_LENGTH} characters`;
  }
  if (/\s/.test(pattern)) return 'must not contain whitespace';
  const star = pattern.indexOf('*');
  if (star === -1) return undefined;
  if (star !== pattern.length - 1) return 'may hold one `*`, and only as its last character';
  const prefix = pattern.slice(0, -1);
  if (prefix.length < MIN_PREFIX_LENGTH || !/[:/]$/.test(prefix)) {
    return 'a `*` must follow a fixed prefix ending in `:` or `/` (e.g. system:serviceaccount:payments:*)';
  }
  return undefined;
}

/** Whether a token's `sub` matches a credential's subject (exact, or prefix + `*`). */
export function matchesSubject(pattern: string, subject: string): boolean {
  if (!pattern.endsWith('*')) return pattern === subject;
  const prefix = pattern.slice(0, -1);
  return subject.length > prefix.length && subject.startsWith(prefix);
}
