/**
 * The revocation feed's answer (docs/feeds.md), checked by hand rather than with a schema library
 * to keep the Lambda bundle small. Ids and times only: the feed never carries a token or a secret.
 */

/** A single token revoked by `jti`, listed until its `exp` (seconds). */
export interface RevokedToken {
  readonly jti: string;
  readonly aud: string;
  readonly exp: number;
}

/** Every token of `client_id` (for `aud`, or every audience when null) issued before `at` (ms) is invalid. */
export interface Cutoff {
  readonly client_id: string;
  readonly aud: string | null;
  readonly at: number;
}

/** A signing key revoked in an emergency: tokens it signed fail at once. */
export interface RevokedKey {
  readonly kid: string;
  readonly revoked_at: number;
}

/** `GET /feeds/revocations` answer: everything (`full`) or what came after the `since` cursor. */
export interface RevocationFeed {
  readonly cursor: string;
  readonly full: boolean;
  readonly tokens: readonly RevokedToken[];
  readonly cutoffs: readonly Cutoff[];
  readonly keys: readonly RevokedKey[];
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function list<T>(
  doc: Record<string, unknown>,
  name: string,
  check: (entry: Record<string, unknown>) => boolean,
): T[] {
  const value = doc[name] ?? [];
  if (!Array.isArray(value)) throw new Error(`revocation feed: ${name} is not a list`);
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null || !check(entry)) {
      throw new Error(`revocation feed: bad ${name} entry`);
    }
  }
  return value;
}

/**
 * Checks a parsed feed answer; throws naming the first problem, so a bad answer changes nothing.
 * @see ../../../../docs/feeds.md
 */
export function parseRevocationFeed(doc: Record<string, unknown>): RevocationFeed {
  if (!isText(doc.cursor) || typeof doc.full !== 'boolean') throw new Error('revocation feed: no cursor');
  return {
    cursor: doc.cursor,
    full: doc.full,
    tokens: list(doc, 'tokens', (t) => isText(t.jti) && isTime(t.exp)),
    cutoffs: list(
      doc,
      'cutoffs',
      (c) => isText(c.client_id) && (c.aud === null || isText(c.aud)) && isTime(c.at),
    ),
    keys: list(doc, 'keys', (k) => isText(k.kid) && isTime(k.revoked_at)),
  };
}
