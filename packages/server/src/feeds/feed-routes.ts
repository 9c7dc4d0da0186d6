/**
 * The public feeds authorizers poll (docs/feeds.md): `GET /feeds/revocations` (deny-list, cut-offs,
 * revoked keys, incremental with `since`) and `GET /feeds/policy?audience=` (an API's live route
 * policy). Public and cacheable: they carry ids and times only. Every answer has a strong `ETag`;
 * `If-None-Match` with it answers `304` without a body.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { createPlainErrorResponse } from '../http/error-response.ts';
import type { Store } from '../store/store.ts';
import { answerTagged, tagDocument } from './etag.ts';
import { createRevocationFeed, parseFeedCursor } from './revocation-feed.ts';

/** Options of `createFeedRoutes`. */
export interface FeedRoutesOptions {
  store: Store;
  /** `GATEHOUSE_SYNC_SECONDS`: how long a feed answer may be cached. */
  syncSeconds: number;
}

/** Creates the feed routes. */
export function createFeedRoutes(opts: FeedRoutesOptions): Hono<AppEnv> {
  const { store, syncSeconds } = opts;
  const app = new Hono<AppEnv>();
  const answer = (body: string, ifNoneMatch: string | undefined): Response =>
    answerTagged(tagDocument(body, syncSeconds), ifNoneMatch);

  app.get('/feeds/revocations', async (c) => {
    const after = parseFeedCursor(c.req.query('since'));
    const now = Date.now();
    let changes = await store.listRevocationChanges({
      ...(after !== undefined ? { sinceSeq: after } : {}),
      now,
    });
    let full = after === undefined;
    if (after !== undefined && after > changes.latestSeq) {
      // A cursor ahead of the store (another store, a restored backup): start the authorizer over.
      changes = await store.listRevocationChanges({ now });
      full = true;
    }
    const body = JSON.stringify(createRevocationFeed(changes, full));
    return answer(body, c.req.header('if-none-match'));
  });

  app.get('/feeds/policy', async (c) => {
    const audience = c.req.query('audience');
    if (audience === undefined || audience === '' || audience.length > 600) {
      return createPlainErrorResponse(400, 'audience is required: the identifier of an API');
    }
    const api = await store.getResourceServerByIdentifier(audience);
    if (api === null) return createPlainErrorResponse(404, 'no API has this identifier');
    const body = JSON.stringify({ audience: api.identifier, routes: api.routes, updated_at: api.updatedAt });
    return answer(body, c.req.header('if-none-match'));
  });

  return app;
}
