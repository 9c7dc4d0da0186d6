import type { CompiledRoutePolicy } from '@gatehouse/protocol';
import { createFeedUrl, type FeedContext, feedTimeoutMs } from '../sync/feed-context.ts';
import { requestFeed } from '../sync/feed-request.ts';
import { createPoller, type Poller } from '../sync/poller.ts';

/** Options of {@link createRemotePolicy}: the verifier's feed context and the API. */
export interface RemotePolicyOptions extends FeedContext {
  /** The API identifier whose `routes` are followed. */
  readonly audience: string;
  /** The policy feed URL, without `?audience=` (default: discovery, then `${issuer}feeds/policy`). */
  readonly url?: string | undefined;
  /**
   * Validates and compiles the served `routes` (the authorizer's `parseRoutePolicy` +
   * `compileRoutePolicy`, handed in so this module imports no code the core also holds); throws
   * for a policy it refuses.
   */
  readonly compile: (routes: unknown) => CompiledRoutePolicy;
}

/** The API's route policy as the server last served it, and the poller that follows it. */
export interface RemotePolicy extends Poller {
  /** The policy now; undefined before the first answer, or when the server knows no such API (503). */
  current(): CompiledRoutePolicy | undefined;
}

/**
 * Follows `GET /feeds/policy?audience=` with conditional requests and applies each change at once.
 * `routes: null` (the API carries no policy) becomes an empty policy: every request is denied as
 * matching no route (403). An unknown audience (404) leaves no policy (503). A malformed policy is
 * refused and the last good one kept, as during an outage.
 * @see ../../../../docs/feeds.md
 */
export function createRemotePolicy(options: RemotePolicyOptions): RemotePolicy {
  const { logger } = options;
  let compiled: CompiledRoutePolicy | undefined;
  let etag: string | undefined;
  let etagUrl: string | undefined;
  let warned: unknown;

  function warnOnce(state: unknown, code: string, message: string): void {
    if (warned !== state) logger.warn({ code, feed: 'policy' }, message);
    warned = state;
  }

  const feedUrl = createFeedUrl(options, options.url, 'policy', 'policy');

  async function load(signal: AbortSignal): Promise<void> {
    const base = await feedUrl();
    const url = `${base}${base.includes('?') ? '&' : '?'}audience=${encodeURIComponent(options.audience)}`;
    const answer = await requestFeed(options.fetch, url, url === etagUrl ? etag : undefined, signal);
    if (answer.status === 304) return;
    const routes = answer.doc?.routes;
    if (answer.status === 404) {
      compiled = undefined;
      warnOnce(404, 'ERR_POLICY_UNKNOWN_API', 'policy feed: no API has this audience; every request refused');
    } else if (routes === null) {
      compiled = options.compile([]);
      warnOnce(null, 'ERR_POLICY_EMPTY', 'policy feed: the API has no routes; every request refused');
    } else {
      compiled = options.compile(routes);
      warned = undefined;
    }
    // only once applied: a refused answer is fetched (and refused) again, never taken as unchanged
    etagUrl = url;
    etag = answer.etag;
  }

  const poller = createPoller({
    ...options,
    name: 'policy',
    intervalMs: options.syncSeconds * 1000,
    timeoutMs: feedTimeoutMs(options),
    load,
  });
  return Object.assign(poller, { current: () => compiled });
}
