import type { AccessTokenClaims } from '../verifier/claims.ts';
import { createDenyList, type DenyList } from './deny-list.ts';
import { createFeedUrl, type FeedContext, feedTimeoutMs } from './feed-context.ts';
import { requestFeed } from './feed-request.ts';
import { createPoller, type Poller } from './poller.ts';
import { parseRevocationFeed } from './revocation-feed.ts';

/** Options of {@link createRevocationSync}: the verifier's feed context and the deny-list's bounds. */
export interface RevocationSyncOptions extends FeedContext {
  /** The feed URL (default: discovery, then `${issuer}feeds/revocations`). */
  readonly url?: string | undefined;
  /** The verifier's clock tolerance in ms: it accepts a token that long past `exp`. */
  readonly toleranceMs: number;
  /** Most deny-list entries held (default 100000). */
  readonly maxEntries?: number | undefined;
}

/** The deny-list as the verifier consults it, and the poller that keeps it current. */
export interface RevocationSync extends Poller {
  /**
   * Whether the token is on the deny-list, was issued before a cut-off of its client, or was
   * signed with a revoked key (`kid`).
   */
  isDenied(claims: AccessTokenClaims, clientId: string, kid: string): boolean;
  readonly denyList: DenyList;
}

/** Bytes read per deny-list entry a full answer may hold (an entry is about 100 bytes of JSON). */
const BYTES_PER_ENTRY = 256;

/**
 * Follows `GET /feeds/revocations` into a deny-list: the first poll (and any after the server
 * forgot our cursor) fetches the whole list; later ones ask only for what came after the last
 * `cursor` (`since`), with `If-None-Match`, so an unchanged list costs a `304`.
 * @see ../../../../docs/feeds.md
 */
export function createRevocationSync(options: RevocationSyncOptions): RevocationSync {
  const denyList = createDenyList(options);
  const feedUrl = createFeedUrl(options, options.url, 'revocation_feed', 'revocations');
  const maxBytes = (options.maxEntries ?? 100_000) * BYTES_PER_ENTRY + 65_536;
  let cursor: string | undefined;
  let etag: string | undefined;
  let etagUrl: string | undefined;

  async function load(signal: AbortSignal): Promise<void> {
    const base = await feedUrl();
    const url =
      cursor === undefined
        ? base
        : `${base}${base.includes('?') ? '&' : '?'}since=${encodeURIComponent(cursor)}`;
    const answer = await requestFeed(
      options.fetch,
      url,
      url === etagUrl ? etag : undefined,
      signal,
      maxBytes,
    );
    if (answer.status === 304) return;
    if (answer.doc === undefined) throw new Error(`HTTP ${answer.status}`);
    const feed = parseRevocationFeed(answer.doc);
    denyList.apply(feed, options.now());
    cursor = feed.cursor;
    etag = answer.etag;
    etagUrl = url;
  }

  const poller = createPoller({
    ...options,
    name: 'revocations',
    intervalMs: options.syncSeconds * 1000,
    timeoutMs: feedTimeoutMs(options),
    load,
  });
  return Object.assign(poller, {
    isDenied: (claims: AccessTokenClaims, clientId: string, kid: string) =>
      denyList.isKeyRevoked(kid) || denyList.isTokenDenied(claims, clientId),
    denyList,
  });
}
