/**
 * The revocation feed's body (docs/feeds.md): ids and times only, never a secret or a token.
 * The cursor is the store's change sequence number as text; an incremental answer lists what came
 * after the cursor it was given.
 */
import type { RevocationChanges } from '../store/store.ts';

/** `GET /feeds/revocations` answer. */
export interface RevocationFeed {
  cursor: string;
  full: boolean;
  tokens: { jti: string; aud: string; exp: number }[];
  cutoffs: { client_id: string; aud: string | null; at: number }[];
  keys: { kid: string; revoked_at: number }[];
}

const CURSOR = /^(0|[1-9]\d{0,14})$/;

/** The sequence number in a cursor, or undefined when there is none or it is malformed (then the answer is full). */
export function parseFeedCursor(since: string | undefined): number | undefined {
  return since !== undefined && CURSOR.test(since) ? Number(since) : undefined;
}

/** Builds the feed answer from the store's changes. */
export function createRevocationFeed(changes: RevocationChanges, full: boolean): RevocationFeed {
  return {
    cursor: String(changes.latestSeq),
    full,
    tokens: changes.tokens.map((t) => ({ jti: t.jti, aud: t.audience, exp: Math.ceil(t.expiresAt / 1000) })),
    cutoffs: changes.cutoffs.map((c) => ({ client_id: c.clientId, aud: c.audience, at: c.at })),
    keys: changes.keys.map((k) => ({ kid: k.kid, revoked_at: k.revokedAt })),
  };
}
