/**
 * Limits of the forward-auth server at the Node HTTP level: security headers on every answer,
 * slow-client timeouts (Node answers 408), a header size limit (Node answers 431; proxies send
 * the original request's headers, so the default is twice Node's), and a bounded number of checks
 * in progress (past it, 503 with `Retry-After`; the proxy then refuses the request, failing closed).
 * @see https://owasp.org/www-project-secure-headers/
 */
import type { Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Headers every answer carries. */
const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
];

/** Most checks in progress at once. */
export const MAX_CONCURRENT_CHECKS = 1024;

/** Node server options of the forward-auth server. */
export const FORWARD_AUTH_SERVER_OPTIONS: ServerOptions = {
  requestTimeout: 30_000,
  headersTimeout: 10_000,
  maxHeaderSize: 32_768,
};

/** Sets the security headers on a response before anything is written. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
}

/** Answers 503 with `Retry-After` when too many checks are in progress. */
export function refuseBusy(res: ServerResponse): void {
  res
    .writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '1' })
    .end('{"error":"temporarily_unavailable","error_description":"too many checks in progress"}');
}

/**
 * Node's own refusals (header too large, request timeout, malformed HTTP) answered in the
 * authorizer's JSON error shape with the security headers, instead of Node's bare status line.
 * @see https://nodejs.org/api/http.html#event-clienterror
 */
export function attachClientErrorAnswers(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, description] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request was not received in time']
          : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
    const body = JSON.stringify({ error: 'invalid_request', error_description: description });
    const head = [
      ...SECURITY_HEADERS,
      ['Content-Type', 'application/json'],
      ['Cache-Control', 'no-store'],
      ['Content-Length', String(Buffer.byteLength(body))],
      ['Connection', 'close'],
    ]
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n\r\n${body}`);
  });
}
