/**
 * Security headers on every answer, and the fast way to attach them on hot routes.
 *
 * A route on the hot path builds its `Response` with a constant plain-object header set made by
 * `withSecurityHeaders` and marks it with `createSecuredResponse`: the Node adapter then writes
 * those headers straight to the socket. Touching `response.headers` afterwards would build a
 * WHATWG `Headers` object per request, so the request observer leaves marked answers alone and
 * adds the headers itself only to the others.
 *
 * No `Strict-Transport-Security` here: TLS ends at the proxy or load balancer in front of the
 * server, which is where HSTS belongs.
 */

/** Headers every answer carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

const SECURITY_ENTRIES = Object.entries(SECURITY_HEADERS);
const secured = new WeakSet<Response>();

/** A header set with the security headers added (build it once, as a module constant). */
export function withSecurityHeaders(
  headers: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  return Object.freeze({ ...SECURITY_HEADERS, ...headers });
}

/** A response whose `headers` already hold the security headers (made by `withSecurityHeaders`). */
export function createSecuredResponse(
  body: string | null,
  status: number,
  headers: Readonly<Record<string, string>>,
): Response {
  const res = new Response(body, { status, headers: headers as Record<string, string> });
  secured.add(res);
  return res;
}

/** Adds the security headers a response lacks, unless it was built by `createSecuredResponse`. */
export function applySecurityHeaders(res: Response): void {
  if (secured.has(res)) return;
  for (const [name, value] of SECURITY_ENTRIES) if (!res.headers.has(name)) res.headers.set(name, value);
}
