/**
 * Limits at the Node HTTP level, around the app: a bounded number of requests in progress (past
 * it, 503 with `Retry-After` at once rather than a queue that grows until memory runs out), the
 * slow-client timeouts (headers within `headersTimeoutMs`, the whole request within
 * `requestTimeoutMs`: Node answers 408), the header size (Node answers 431), and
 * `Strict-Transport-Security` when the issuer is HTTPS (set on the Node response, so it costs no
 * `Headers` object on the hot path and covers every answer, errors included).
 * @see https://www.rfc-editor.org/rfc/rfc6797#section-7.1
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LimitsConfig } from '../config.ts';
import { SECURITY_HEADERS } from '../http/security-headers.ts';

/** `Retry-After` of a 503 answered while busy or starting. */
const BUSY_RETRY_AFTER_SECONDS = '1';

/** `max-age` of HSTS: one year, the value preload lists ask for. */
export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

type Fetch = (req: Request, env: unknown) => Response | Promise<Response>;

/** What `serve.ts` plugs into the Node server. */
export interface ServerGuard {
  serverOptions: ServerOptions;
  /** Wraps the app's fetch with the concurrency bound. */
  wrap(fetch: Fetch): Fetch;
  /**
   * Counts a request answered outside `wrap` (serve.ts's lean token route) against the same bound;
   * false when the bound is reached (then `wrap` answers it with the 503).
   */
  enter(): boolean;
  /** Ends a request counted by `enter`. */
  leave(): void;
  /** The 503 answered before the app is ready. */
  starting(): Response;
  /** Sets the server's timeouts and the HSTS header. */
  attach(server: unknown): void;
}

function unavailable(path: string, message: string): Response {
  // /oauth/* answers in the OAuth error shape, everything else in the plain one.
  const body = path.startsWith('/oauth/')
    ? { error: 'temporarily_unavailable', error_description: message }
    : { statusCode: 503, error: 'Service Unavailable', message };
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Retry-After': BUSY_RETRY_AFTER_SECONDS,
    },
  });
}

/** Creates the guard from the limits configuration. */
export function createServerGuard(opts: {
  limits: Pick<
    LimitsConfig,
    'maxConcurrentRequests' | 'requestTimeoutMs' | 'headersTimeoutMs' | 'maxHeaderBytes'
  >;
  issuer: string;
}): ServerGuard {
  const { limits } = opts;
  const hsts = opts.issuer.startsWith('https://');
  let inFlight = 0;
  const release = (res: Response): Response => {
    inFlight--;
    return res;
  };
  const releaseError = (err: unknown): never => {
    inFlight--;
    throw err;
  };
  return {
    serverOptions: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      maxHeaderSize: limits.maxHeaderBytes,
      // How often Node checks the two timeouts (its default, 30 s, would let a slow client linger).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    wrap(fetch) {
      return (req, env) => {
        if (inFlight >= limits.maxConcurrentRequests) {
          return unavailable(new URL(req.url).pathname, 'too many requests in progress; retry shortly');
        }
        inFlight++;
        let res: Response | Promise<Response>;
        try {
          res = fetch(req, env);
        } catch (err) {
          return releaseError(err);
        }
        return res instanceof Promise ? res.then(release, releaseError) : release(res);
      };
    },
    enter() {
      if (inFlight >= limits.maxConcurrentRequests) return false;
      inFlight++;
      return true;
    },
    leave() {
      inFlight--;
    },
    starting: () => unavailable('/', 'the server is starting; retry shortly'),
    attach(server) {
      const http = server as Server;
      // Idle keep-alive connections are closed after 5 s (Node's default), slow senders after the timeouts.
      http.requestTimeout = limits.requestTimeoutMs;
      http.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
      http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
        answerClientError(err, socket, limits.maxHeaderBytes, hsts),
      );
      if (hsts) {
        http.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
          res.setHeader('Strict-Transport-Security', HSTS_VALUE);
        });
      }
    },
  };
}

/**
 * Node's own refusals (header too large, request timeout, malformed HTTP) answered like every
 * other error: a JSON body saying what was wrong, the security headers, `Connection: close`.
 * @see https://nodejs.org/api/http.html#event-clienterror
 */
export function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  maxHeaderBytes: number,
  hsts = false,
): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          `the request headers are larger than ${maxHeaderBytes} bytes`,
        ]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ statusCode: status, error: reason, message });
  const headers = {
    ...SECURITY_HEADERS,
    ...(hsts ? { 'Strict-Transport-Security': HSTS_VALUE } : {}),
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n\r\n${body}`);
}
