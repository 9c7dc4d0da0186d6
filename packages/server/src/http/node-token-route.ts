/**
 * `POST /oauth/token` answered on node:http directly, before the Fetch adapter and Hono: the token
 * endpoint is the server's hot path, and a Fetch `Request`, its `Headers`, a `Response`, Hono's
 * context, router and middleware chain cost more per request than everything gatehouse does
 * around the signature (bench/token.bench.ts). The work itself is the app's own token endpoint
 * (token/token-endpoint.ts), so answers are the same as through the app; this file does only what
 * the app's middleware does on that route: the source address, the security headers (part of the
 * endpoint's header sets), the latency histogram and the request log line.
 *
 * It takes only the plain case: `POST` to exactly `/oauth/token`, a declared `Content-Length` and no
 * `Transfer-Encoding`, a plain `Host`, and no CORS configured. Anything else, and a client that
 * authenticates with a JWT assertion (whose audit entry needs the app's request context), goes to
 * the app, with the body already read handed over as `rawBody` (which @hono/node-server reads
 * instead of the stream). Requests whose heads come in during one turn of the event loop are
 * answered together at its end, with one read of the store's change stamp (see `flush`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { resolveSourceAddress } from '../limits/source-address.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import { parseTokenBody, parseTokenBodyType, type TokenBodyType } from '../token/read-token-parameters.ts';
import type { TokenAnswer, TokenEndpoint } from '../token/token-endpoint.ts';
import type { TokenParameters } from '../token/token-parameters.ts';
import type { TokenReads } from '../token/token-read-cache.ts';
import { assertDeclaredLength, MAX_BODY_BYTES } from './body.ts';
import { describePlainError, type PlainAnswer } from './error-response.ts';

/** Options of `createNodeTokenRoute`. */
export interface NodeTokenRouteOptions {
  endpoint: TokenEndpoint;
  metrics: ServerMetrics;
  logger: Logger;
  /** `GATEHOUSE_TRUST_PROXY_HOPS`: see limits/source-address.ts. */
  trustProxyHops: number;
}

/** How a request the route took ended: answered, or to be handed to the app (`rawBody` set when read). */
export type NodeTokenOutcome = 'answered' | 'to-app';

/** The lean token route. */
export interface NodeTokenRoute {
  /**
   * Takes `req` when it is a plain token request, and calls `done` once the answer is written, or
   * to hand the request to the app. False: not taken, the app answers it.
   */
  handle(req: IncomingMessage, res: ServerResponse, done: (outcome: NodeTokenOutcome) => void): boolean;
}

/** What @hono/node-server reads instead of the request stream when it is set. */
type WithRawBody = IncomingMessage & { rawBody?: Buffer };

const ROUTE = '/oauth/token';
/** The hosts @hono/node-server takes without parsing a URL; any other goes to the app, which checks it. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** As @hono/node-server decodes a body for `text()`: UTF-8, malformed bytes replaced, a BOM dropped. */
const utf8 = new TextDecoder();
/** The source address of each connection (it cannot change), when no proxy hop is trusted. */
const socketAddresses = new WeakMap<Socket, string | undefined>();

/** The headers the route reads, from `rawHeaders` in one pass. */
interface TokenHeaders {
  authorization: string | undefined;
  contentType: string | undefined;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  host: string | undefined;
  forwardedFor: string | undefined;
}

/** Appends a repeated header as `Headers.get` (and so Hono's `c.req.header`) joins it. */
const join = (seen: string | undefined, value: string) => (seen === undefined ? value : `${seen}, ${value}`);

function readHeaders(raw: string[]): TokenHeaders {
  const h: TokenHeaders = {
    authorization: undefined,
    contentType: undefined,
    contentLength: undefined,
    transferEncoding: undefined,
    host: undefined,
    forwardedFor: undefined,
  };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // The length first: most names are skipped without a lower-cased copy.
    switch (name.length) {
      case 4:
        // Node keeps the first Host of a request, as @hono/node-server reads it.
        if (h.host === undefined && name.toLowerCase() === 'host') h.host = raw[i + 1]!;
        break;
      case 12:
        if (name.toLowerCase() === 'content-type') h.contentType = join(h.contentType, raw[i + 1]!);
        break;
      case 13:
        if (name.toLowerCase() === 'authorization') h.authorization = join(h.authorization, raw[i + 1]!);
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') h.contentLength = join(h.contentLength, raw[i + 1]!);
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') h.forwardedFor = join(h.forwardedFor, raw[i + 1]!);
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') h.transferEncoding = raw[i + 1]!;
        break;
    }
  }
  return h;
}

/** The body, once Node has read all of it; rejects when the client goes away first. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    req.on('data', (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else if (more === undefined) more = [first, chunk];
      else more.push(chunk);
    });
    req.once('end', () => {
      resolve(more !== undefined ? Buffer.concat(more) : (first ?? Buffer.alloc(0)));
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('Client connection prematurely closed.'));
    });
  });
}

/** Writes an answer in one write: the head and the body together. */
function writeAnswer(res: ServerResponse, answer: PlainAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** Creates the lean token route. */
export function createNodeTokenRoute(opts: NodeTokenRouteOptions): NodeTokenRoute {
  const { endpoint, metrics, logger, trustProxyHops } = opts;
  /** Requests whose head came in during this turn of the event loop, answered together at its end. */
  let batch: TokenRequestState[] = [];

  const sourceAddress = (req: IncomingMessage, forwardedFor: string | undefined): string | undefined => {
    if (trustProxyHops > 0) return resolveSourceAddress({ incoming: req }, forwardedFor, trustProxyHops);
    const socket = req.socket;
    if (socketAddresses.has(socket)) return socketAddresses.get(socket);
    const address = resolveSourceAddress({ incoming: req }, undefined, 0);
    socketAddresses.set(socket, address);
    return address;
  };

  /** As the app's onError: a bug here answers a plain 500, never a stack trace. */
  const fail = (t: TokenRequestState, err: unknown) => {
    logger.error({ err: describeError(err) }, 'unhandled error');
    if (!t.res.headersSent) writeAnswer(t.res, describePlainError(500, 'Internal error'));
    else t.res.destroy();
    t.done('answered');
  };

  const written = (t: TokenRequestState, answered: TokenAnswer) => {
    writeAnswer(t.res, answered);
    const seconds = (performance.now() - t.start) / 1000;
    metrics.requestDuration.observe({ route: ROUTE, method: 'POST', status: answered.status }, seconds);
    if (!logger.isLevelEnabled('info')) {
      t.done('answered');
      return;
    }
    logger.info(
      {
        method: 'POST',
        route: ROUTE,
        status: answered.status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        client_id: answered.clientId,
      },
      'request',
    );
    t.done('answered');
  };

  /** Answers with what the endpoint says, from the parameters or the error reading them. */
  const answer = (t: TokenRequestState, reads: TokenReads | undefined) => {
    endpoint
      .answer({
        readParameters: () => {
          if (t.error !== undefined) throw t.error;
          return t.params!;
        },
        authorization: t.headers.authorization,
        address: sourceAddress(t.req, t.headers.forwardedFor),
        issuedAtMs: t.issuedAtMs,
        reads,
      })
      .then(
        (answered) => written(t, answered),
        (err: unknown) => fail(t, err),
      );
  };

  /** Parses the body; false when the request goes to the app (a JWT assertion). */
  const parse = (t: TokenRequestState, body: Buffer): boolean => {
    try {
      t.params = parseTokenBody(t.type!, utf8.decode(body));
    } catch (error) {
      t.error = error;
      return true;
    }
    if (t.params.client_assertion !== undefined || t.params.client_assertion_type !== undefined) {
      (t.req as WithRawBody).rawBody = body;
      t.done('to-app');
      return false;
    }
    return true;
  };

  /**
   * Reads what the request needs before the store: the media type and declared length (in the
   * app's order), then the body. Usually Node has parsed the whole body with the head, and it is
   * taken from the request's buffer at once; else it is awaited. True: ready to answer now.
   */
  const prepare = (t: TokenRequestState): boolean => {
    try {
      t.type = parseTokenBodyType(t.headers.contentType);
      assertDeclaredLength(t.headers.contentLength!, MAX_BODY_BYTES);
    } catch (error) {
      t.error = error;
      return true;
    }
    const req = t.req;
    if (req.complete) return parse(t, req.readableLength > 0 ? (req.read() as Buffer) : EMPTY);
    readBody(req).then(
      (body) => {
        if (parse(t, body)) answer(t, undefined);
      },
      (error: unknown) => {
        t.error = error;
        answer(t, undefined);
      },
    );
    return false;
  };

  /**
   * Answers the turn's requests. Each took its issue time when its head came in, before this one
   * read of the store's change stamp, so the snapshot serves them all as a read per request would
   * (AccessTokenIssuer.issue): a write not seen here committed after every one of them came in.
   */
  const flush = () => {
    const ready = batch;
    batch = [];
    let reads: TokenReads | undefined;
    let stamped = false;
    for (const t of ready) {
      try {
        if (!prepare(t)) continue;
        if (!stamped) {
          reads = endpoint.snapshot();
          stamped = true;
        }
        answer(t, reads);
      } catch (err) {
        fail(t, err);
      }
    }
  };

  return {
    handle(req, res, done) {
      if (req.method !== 'POST' || req.url !== ROUTE) return false;
      const headers = readHeaders(req.rawHeaders);
      if (
        headers.transferEncoding !== undefined ||
        headers.contentLength === undefined ||
        headers.host === undefined ||
        !PLAIN_HOST.test(headers.host)
      ) {
        return false;
      }
      if (batch.length === 0) setImmediate(flush);
      batch.push({
        req,
        res,
        headers,
        issuedAtMs: Date.now(),
        start: performance.now(),
        type: undefined,
        params: undefined,
        error: undefined,
        done,
      });
      return true;
    },
  };
}

/** One request the route took. */
interface TokenRequestState {
  req: IncomingMessage;
  res: ServerResponse;
  headers: TokenHeaders;
  /** When the head came in: the token's issue time, taken before any store read. */
  issuedAtMs: number;
  /** `performance.now()` at the same moment: the latency histogram's start. */
  start: number;
  type: TokenBodyType | undefined;
  params: TokenParameters | undefined;
  /** Why the parameters cannot be read, answered as the app answers it. */
  error: unknown;
  done: (outcome: NodeTokenOutcome) => void;
}

const EMPTY = Buffer.alloc(0);
