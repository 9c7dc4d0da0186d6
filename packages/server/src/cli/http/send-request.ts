/**
 * One HTTP exchange with the server, for every CLI command. Network failures become a
 * `CliConnectionError` that says in plain words why the server could not be reached; the answer's
 * body is parsed as JSON when it says it is JSON.
 */
import { CliConnectionError } from '../errors.ts';

/** How long the CLI waits for any one answer before giving up. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A server's answer, body already read. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  /** The raw body text (never printed for answers that may carry secrets or tokens). */
  text: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_TIMEOUT: 'no answer from the server',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
  EPROTO: 'TLS handshake failed (is it an http:// server?)',
};

function findErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code in NETWORK_REASONS) return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const inner of nested) {
      const found = findErrorCode(inner, depth + 1);
      if (found) return found;
    }
  }
  const found = findErrorCode((error as { cause?: unknown }).cause, depth + 1);
  if (found) return found;
  return typeof code === 'string' ? code : undefined;
}

/** Words for why a fetch failed, e.g. `connection refused`; never includes a stack. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const code = findErrorCode(error);
  if (code) return NETWORK_REASONS[code] ?? code;
  // fetch wraps the real reason: `TypeError: fetch failed` with `cause: Error: bad port`.
  let innermost: unknown = error;
  for (let depth = 0; depth < 4 && innermost instanceof Error && innermost.cause instanceof Error; depth++) {
    innermost = innermost.cause;
  }
  return innermost instanceof Error ? innermost.message : String(innermost);
}

/** Where a request went, without query string (which could carry nothing secret, but stays short). */
function describeTarget(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Sends a request and reads its answer; throws `CliConnectionError` when there is no answer. */
export async function sendRequest(url: URL, init: RequestInit): Promise<HttpAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    throw new CliConnectionError(`cannot reach ${describeTarget(url)}: ${describeNetworkError(error)}`);
  }
  let json: unknown;
  const type = response.headers.get('content-type') ?? '';
  if (text !== '' && /\bjson\b/i.test(type)) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, statusText: response.statusText, json, text };
}
