/**
 * Limits at the Node HTTP level for the contacts service: security headers on every answer (set
 * on the Node response, so errors of the adapter itself carry them too), slow-client timeouts
 * (Node answers 408), a header size limit (Node answers 431), and a bounded number of requests in
 * progress (past it, a 503 problem with `Retry-After`). Bodies are bounded by `readBoundedBody`.
 * @see https://owasp.org/www-project-secure-headers/
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '../problems/problem-details.ts';

/** Headers every answer carries: JSON only, never framed, never sniffed, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/** The limits; the defaults suit a service behind a proxy. */
export interface HttpGuardLimits {
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxHeaderBytes: number;
}

/** Default limits of the contacts service. */
export const DEFAULT_HTTP_LIMITS: HttpGuardLimits = {
  maxConcurrentRequests: 256,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxHeaderBytes: 16_384,
};

type Fetch = (req: Request, env: unknown) => Response | Promise<Response>;

/** Node server options carrying the limits. */
export function serverOptions(limits: HttpGuardLimits = DEFAULT_HTTP_LIMITS): ServerOptions {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
  };
}

/** Adds the security headers to every answer of `server`. */
export function attachSecurityHeaders(server: unknown): void {
  const entries = Object.entries(SECURITY_HEADERS);
  (server as Server).prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of entries) res.setHeader(name, value);
  });
}

/** Wraps `fetch` with the concurrency bound. */
export function boundConcurrency(
  fetch: Fetch,
  max: number = DEFAULT_HTTP_LIMITS.maxConcurrentRequests,
): Fetch {
  let inFlight = 0;
  const done = (res: Response): Response => {
    inFlight--;
    return res;
  };
  const failed = (err: unknown): never => {
    inFlight--;
    throw err;
  };
  return (req, env) => {
    if (inFlight >= max) {
      const problem = {
        type: `${PROBLEM_TYPE_BASE}busy`,
        title: 'Too many requests in progress',
        status: 503,
        detail: 'The service is at its limit of requests in progress; retry shortly.',
      };
      return new Response(JSON.stringify(problem), {
        status: 503,
        headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', 'retry-after': '1' },
      });
    }
    inFlight++;
    let res: Response | Promise<Response>;
    try {
      res = fetch(req, env);
    } catch (err) {
      return failed(err);
    }
    return res instanceof Promise ? res.then(done, failed) : done(res);
  };
}

/**
 * Node's own refusals (header too large, request timeout, malformed HTTP) answered as problem
 * details with the security headers, instead of Node's bare status line.
 * @see https://nodejs.org/api/http.html#event-clienterror
 */
export function attachClientErrorAnswers(
  server: unknown,
  maxHeaderBytes = DEFAULT_HTTP_LIMITS.maxHeaderBytes,
): void {
  (server as Server).on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, slug, title, detail] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            'headers-too-large',
            'Request Header Fields Too Large',
            `Request headers over ${maxHeaderBytes} bytes.`,
          ]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request-timeout', 'Request Timeout', 'The request was not received in time.']
          : [400, 'malformed-http', 'Bad Request', 'The request is not valid HTTP/1.1.'];
    const body = JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${slug}`, title, status, detail });
    const head = Object.entries({
      ...SECURITY_HEADERS,
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${status} ${title}\r\n${head}\r\n\r\n${body}`);
  });
}
