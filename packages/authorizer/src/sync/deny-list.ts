import type { AuthorizerLogger } from '../logging/logger.ts';
import type { AccessTokenClaims } from '../verifier/claims.ts';
import { readIssuedAtMs } from './issued-at.ts';
import type { RevocationFeed } from './revocation-feed.ts';

/** Options of {@link createDenyList}. */
export interface DenyListOptions {
  /** Most entries held, tokens, cut-offs and keys together (default 100000). */
  readonly maxEntries?: number | undefined;
  /** The verifier's clock tolerance in ms: it accepts a token that long past `exp`. */
  readonly toleranceMs: number;
  readonly logger: AuthorizerLogger;
}

/** What the revocation feed says is revoked, held in memory and consulted on every use of a token. */
export interface DenyList {
  /** Applies a feed answer at time `now` (ms): a full answer replaces the state, else adds to it. */
  apply(feed: RevocationFeed, now: number): void;
  /** Whether a signing key was revoked: its tokens fail at once, whatever the JWKS cache holds. */
  isKeyRevoked(kid: string): boolean;
  /** Whether the token's `jti` is revoked, or a cut-off of its client (and audience) came after its issue. */
  isTokenDenied(claims: AccessTokenClaims, clientId: string): boolean;
  /** Entries held. */
  size(): number;
}

interface CutoffEntry {
  /** The audience it applies to; null: every audience. */
  readonly aud: string | null;
  at: number;
  until: number;
}

/** Longest token lifetime gatehouse issues (86400 s): no token a cut-off or a revoked key affects outlives it. */
const LONGEST_LIFETIME_MS = 86_400_000;

function audienceIncludes(aud: AccessTokenClaims['aud'], wanted: string): boolean {
  return aud === wanted || (Array.isArray(aud) && aud.includes(wanted));
}

/**
 * Creates the deny-list: revoked `jti`s (kept until `exp` plus tolerance), cut-offs per client and
 * audience (a token is cut off when issued, to the millisecond, before `at`), revoked `kid`s.
 * Bounded: entries expire once no token they affect can still be accepted, and past `maxEntries`
 * those expiring soonest are dropped first (and a warning is logged).
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export function createDenyList(options: DenyListOptions): DenyList {
  const max = options.maxEntries ?? 100_000;
  const tolerance = options.toleranceMs;
  const logger = options.logger;
  const tokens = new Map<string, number>();
  const keys = new Map<string, number>();
  // by client: a short list, walked by index on every use of that client's tokens (no iterator)
  const cutoffs = new Map<string, CutoffEntry[]>();
  let cutoffCount = 0;

  function prune(now: number): void {
    for (const [jti, until] of tokens) if (until <= now) tokens.delete(jti);
    for (const [kid, until] of keys) if (until <= now) keys.delete(kid);
    cutoffCount = 0;
    for (const [client, list] of cutoffs) {
      const kept = list.filter((entry) => entry.until > now);
      if (kept.length === 0) cutoffs.delete(client);
      else if (kept.length !== list.length) cutoffs.set(client, kept);
      cutoffCount += kept.length;
    }
  }

  function bound(): void {
    const excess = tokens.size + keys.size + cutoffCount - max;
    if (excess <= 0) return;
    // drop a tenth more than needed, so a steady trickle does not sort on every answer
    const drop = excess + Math.floor(max / 10);
    const all: Array<[number, () => void]> = [];
    for (const [jti, until] of tokens) all.push([until, () => tokens.delete(jti)]);
    for (const [kid, until] of keys) all.push([until, () => keys.delete(kid)]);
    for (const list of cutoffs.values()) {
      for (const entry of list) all.push([entry.until, () => (entry.until = Number.NEGATIVE_INFINITY)]);
    }
    all.sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < drop && i < all.length; i++) all[i]![1]();
    logger.warn(
      { code: 'ERR_DENY_LIST_FULL', maxEntries: max, dropped: Math.min(drop, all.length) },
      'deny-list full: dropped the entries expiring soonest (raise maxRevocations)',
    );
    prune(-Number.MAX_VALUE); // drops the cut-offs marked above, recounts
  }

  return {
    apply(feed, now) {
      if (feed.full) {
        // what a full answer leaves out, the server dropped once its tokens expired; the verifier
        // still accepts such a token for the clock tolerance, so keep the entry that long
        const linger = now + tolerance;
        for (const [jti, until] of tokens) tokens.set(jti, Math.min(until, linger));
        for (const [kid, until] of keys) keys.set(kid, Math.min(until, linger));
        for (const list of cutoffs.values()) {
          for (const entry of list) entry.until = Math.min(entry.until, linger);
        }
      }
      for (const t of feed.tokens) tokens.set(t.jti, t.exp * 1000 + tolerance);
      for (const k of feed.keys) keys.set(k.kid, k.revoked_at + LONGEST_LIFETIME_MS + tolerance);
      for (const c of feed.cutoffs) {
        let list = cutoffs.get(c.client_id);
        if (list === undefined) {
          list = [];
          cutoffs.set(c.client_id, list);
        }
        const until = c.at + LONGEST_LIFETIME_MS + tolerance;
        const known = list.find((entry) => entry.aud === c.aud);
        if (known === undefined) list.push({ aud: c.aud, at: c.at, until });
        else if (c.at >= known.at) {
          known.at = c.at;
          known.until = until;
        }
      }
      prune(now);
      bound();
    },

    isKeyRevoked: (kid) => keys.has(kid),

    isTokenDenied(claims, clientId) {
      const jti = claims.jti;
      if (typeof jti === 'string' && tokens.has(jti)) return true;
      const list = cutoffs.get(clientId);
      if (list === undefined) return false;
      // no issue time: nothing shows the token came after the cut-off
      const issued = readIssuedAtMs(claims) ?? Number.NEGATIVE_INFINITY;
      for (let i = 0; i < list.length; i++) {
        const entry = list[i]!;
        if (issued < entry.at && (entry.aud === null || audienceIncludes(claims.aud, entry.aud))) return true;
      }
      return false;
    },

    size: () => tokens.size + keys.size + cutoffCount,
  };
}
