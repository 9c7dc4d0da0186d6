import type { FetchLike } from '../jwks/http-fetch.ts';
import type { JwksCache } from '../jwks/jwks-cache.ts';
import type { AuthorizerLogger } from '../logging/logger.ts';

/** How a verifier reaches its issuer's feeds (docs/feeds.md); the remote policy reuses it. */
export interface FeedContext {
  /** The issuer (feeds default to `${issuer}feeds/...`); null when only explicit URLs are used. */
  readonly issuer: string | null;
  /** The JWKS cache, whose discovery document may advertise the feeds. */
  readonly jwks?: JwksCache | undefined;
  readonly fetch: FetchLike;
  /** Poll interval, seconds (`GATEHOUSE_SYNC_SECONDS`). */
  readonly syncSeconds: number;
  /** Poll on unref'd timers (true) or on use (false: AWS Lambda). */
  readonly timers: boolean;
  readonly logger: AuthorizerLogger;
  /** Clock in milliseconds. */
  readonly now: () => number;
}

/** Poll timeout: the interval, from 1 to 5 seconds. */
export function feedTimeoutMs(context: FeedContext): number {
  return Math.min(Math.max(context.syncSeconds * 1000, 1000), 5000);
}

/**
 * Where a feed is: the URL given, else the one the issuer's discovery document advertises
 * (`gatehouse_<name>_endpoint`), else `${issuer}feeds/<path>` (docs/feeds.md, Discovery).
 */
export function createFeedUrl(
  context: FeedContext,
  given: string | undefined,
  name: 'revocation_feed' | 'policy',
  path: string,
): () => Promise<string> {
  if (given !== undefined) return () => Promise.resolve(given);
  const { issuer, jwks } = context;
  const fallback = `${issuer}${issuer?.endsWith('/') ? '' : '/'}feeds/${path}`;
  return async () => {
    const advertised = (await jwks?.metadata())?.[`gatehouse_${name}_endpoint`];
    return typeof advertised === 'string' && /^https?:\/\/[^\s/]/.test(advertised) ? advertised : fallback;
  };
}
