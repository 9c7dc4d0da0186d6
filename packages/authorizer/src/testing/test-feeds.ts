/**
 * The gatehouse feeds (docs/feeds.md) for tests, served by the test issuer: an in-memory change log
 * with cursors, full and incremental answers, `ETag` / `If-None-Match`, and the policy feed.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteRule } from '@gatehouse/protocol';

type Change =
  | { seq: number; kind: 'token'; entry: { jti: string; aud: string; exp: number } }
  | { seq: number; kind: 'cutoff'; entry: { client_id: string; aud: string | null; at: number } }
  | { seq: number; kind: 'key'; entry: { kid: string; revoked_at: number } };

/** Controls and counters of the test feeds. */
export interface TestFeeds {
  /** Revokes a token by `jti` (kept until `exp`, seconds). */
  revokeToken(jti: string, exp: number, aud?: string): void;
  /** Every token of `clientId` (for `aud`, or all audiences when null) issued before `at` (ms) is cut off. */
  cutOff(clientId: string, aud: string | null, at: number): void;
  /** Revokes a signing key. */
  revokeKey(kid: string, at?: number): void;
  /** Drops entries as the server does once they expired (`tokens` past `exp` at `now` ms). */
  expire(now: number): void;
  /** Forgets every cursor issued so far: a `since` older than the latest answers in full. */
  forgetCursors(): void;
  /** The policy served for the audience: routes, `null` (no routes) or undefined (404). */
  setPolicy(routes: RouteRule[] | null | undefined): void;
  /** Whether the feeds (or only one of them) answer; false: 503. */
  setAvailable(up: boolean, feed?: 'revocations' | 'policy'): void;
  /** Requests seen, by feed, with the query and whether they were answered 304. */
  readonly requests: Array<{ feed: 'revocations' | 'policy'; path: string; query: string; status: number }>;
  /** Serves a feed request (503 when `issuerUp` is false); false when `req` is not for a feed. */
  handle(req: IncomingMessage, res: ServerResponse, issuerUp?: boolean): boolean;
}

/** A strong entity tag of `body`, as gatehouse's server makes them (SHA-256, 128 bits in base64url). */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** Creates the test feeds for `audience`. */
export function createTestFeeds(audience: string): TestFeeds {
  let changes: Change[] = [];
  let seq = 0;
  let oldestKnown = 0;
  let policy: RouteRule[] | null | undefined = null;
  let policyUpdated = Date.now();
  const up = { revocations: true, policy: true };
  const requests: TestFeeds['requests'] = [];

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    feed: 'revocations' | 'policy',
    body: string | null,
    issuerUp: boolean,
  ) {
    const url = new URL(req.url ?? '/', 'http://test.invalid');
    const path = url.pathname;
    const query = url.search;
    if (!up[feed] || !issuerUp) {
      requests.push({ feed, path, query, status: 503 });
      res.writeHead(503).end();
      return;
    }
    if (body === null) {
      requests.push({ feed, path, query, status: 404 });
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    const etag = etagOf(body);
    const headers = { 'content-type': 'application/json', etag, 'cache-control': 'public, max-age=1' };
    const status = req.headers['if-none-match'] === etag ? 304 : 200;
    requests.push({ feed, path, query, status });
    res.writeHead(status, headers).end(status === 304 ? undefined : body);
  }

  function revocationsBody(since: string | null): string {
    const after = since !== null && /^\d+$/.test(since) ? Number(since) : undefined;
    const full = after === undefined || after < oldestKnown || after > seq;
    const list = full ? changes : changes.filter((c) => c.seq > after);
    const pick = <K extends Change['kind']>(kind: K) =>
      list.filter((c): c is Extract<Change, { kind: K }> => c.kind === kind).map((c) => c.entry);
    return JSON.stringify({
      cursor: String(seq),
      full,
      tokens: pick('token'),
      cutoffs: pick('cutoff'),
      keys: pick('key'),
    });
  }

  return {
    revokeToken(jti, exp, aud = audience) {
      changes.push({ seq: ++seq, kind: 'token', entry: { jti, aud, exp } });
    },
    cutOff(clientId, aud, at) {
      changes.push({ seq: ++seq, kind: 'cutoff', entry: { client_id: clientId, aud, at } });
    },
    revokeKey(kid, at = Date.now()) {
      changes.push({ seq: ++seq, kind: 'key', entry: { kid, revoked_at: at } });
    },
    expire(now) {
      changes = changes.filter((c) => c.kind !== 'token' || c.entry.exp * 1000 > now);
    },
    forgetCursors() {
      oldestKnown = seq;
    },
    setPolicy(routes) {
      policy = routes;
      policyUpdated = Date.now();
    },
    setAvailable(value, feed) {
      if (feed !== 'policy') up.revocations = value;
      if (feed !== 'revocations') up.policy = value;
    },
    requests,
    handle(req, res, issuerUp = true) {
      const url = new URL(req.url ?? '/', 'http://test.invalid');
      if (url.pathname.endsWith('/feeds/revocations')) {
        answer(req, res, 'revocations', revocationsBody(url.searchParams.get('since')), issuerUp);
        return true;
      }
      if (url.pathname.endsWith('/feeds/policy')) {
        const body =
          url.searchParams.get('audience') !== audience || policy === undefined
            ? null
            : JSON.stringify({ audience, routes: policy, updated_at: policyUpdated });
        answer(req, res, 'policy', body, issuerUp);
        return true;
      }
      return false;
    },
  };
}
