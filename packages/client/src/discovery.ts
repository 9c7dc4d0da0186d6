/**
 * Finds the token endpoint from the issuer's metadata: RFC 8414 first
 * (`/.well-known/oauth-authorization-server`, inserted before the issuer's path), then OpenID
 * Connect Discovery (`<issuer>/.well-known/openid-configuration`). The document's `issuer` must be
 * the configured one (a trailing `/` aside), so metadata of another server is never used.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
import { DiscoveryError, TokenClientClosedError } from './errors.ts';
import { backoffDelay, type RetryPolicy, sleep } from './retry.ts';

/** What discovery needs. */
export interface DiscoveryRequest {
  issuer: string;
  fetch: typeof globalThis.fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The metadata URLs to try, in order. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const origin = url.origin;
  return [
    `${origin}/.well-known/oauth-authorization-server${path}`,
    `${origin}${path}/.well-known/openid-configuration`,
  ];
}

function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

/** What discovery found: the token endpoint and the whole metadata document. */
export interface DiscoveredIssuer {
  tokenEndpoint: string;
  metadata: Record<string, unknown>;
}

/** Resolves the issuer's `token_endpoint` (and metadata); throws `DiscoveryError`. */
export async function discoverTokenEndpoint(req: DiscoveryRequest): Promise<DiscoveredIssuer> {
  const tried: string[] = [];
  for (const url of metadataUrls(req.issuer)) {
    const res = await getWithRetry(url, req);
    if (res.status === 404 || res.status === 405) {
      await res.body?.cancel();
      tried.push(url);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DiscoveryError(`${url} answered ${res.status}`);
    }
    let meta: unknown;
    try {
      meta = await res.json();
    } catch {
      throw new DiscoveryError(`${url} is not JSON`);
    }
    if (typeof meta !== 'object' || meta === null) throw new DiscoveryError(`${url} is not a JSON object`);
    const { issuer, token_endpoint: tokenEndpoint } = meta as Record<string, unknown>;
    if (typeof issuer !== 'string' || !sameIssuer(issuer, req.issuer)) {
      throw new DiscoveryError(`${url} describes issuer ${JSON.stringify(issuer)}, not ${req.issuer}`);
    }
    if (
      typeof tokenEndpoint !== 'string' ||
      !URL.canParse(tokenEndpoint) ||
      !/^https?:/.test(tokenEndpoint)
    ) {
      throw new DiscoveryError(`${url} has no usable token_endpoint`);
    }
    return { tokenEndpoint, metadata: meta as Record<string, unknown> };
  }
  throw new DiscoveryError(`No authorization server metadata for ${req.issuer} (tried ${tried.join(', ')})`);
}

async function getWithRetry(url: string, req: DiscoveryRequest): Promise<Response> {
  let last: unknown;
  for (let attempt = 1; attempt <= req.retry.attempts; attempt++) {
    if (attempt > 1) {
      try {
        await sleep(backoffDelay(req.retry, attempt - 1), req.signal);
      } catch {
        throw new TokenClientClosedError();
      }
    }
    try {
      const signal = AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]);
      const res = await req.fetch(url, { headers: { accept: 'application/json' }, signal });
      if (res.status < 500) return res;
      last = new Error(`status ${res.status}`);
      await res.body?.cancel();
    } catch (error) {
      if (req.signal.aborted) throw new TokenClientClosedError();
      last = error;
    }
  }
  throw new DiscoveryError(`${url} unavailable after ${req.retry.attempts} attempts`, { cause: last });
}
