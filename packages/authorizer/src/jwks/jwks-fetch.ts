/**
 * The network half of the JWKS cache: the discovery document, the JWKS and its freshness, loading
 * a fetched JWKS into the cache's state, and the built-in GET client (also the feeds' default
 * fetch). Imported on the first fetch, so in the Lambda bundle it is a chunk of its own, which a
 * cold start with the JWKS preloaded (`AUTHORIZER_JWKS`) neither reads nor compiles before its
 * first answer.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthorizerLogger } from '../logging/logger.ts';
import type { FetchLike, FetchResponse } from './http-fetch.ts';
import type { importJwks, VerificationKey } from './import-jwk.ts';

/** Largest discovery or JWKS document read, in bytes, unless a request says otherwise. */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * Where and how the JWKS is fetched, as the cache checked it, with the two functions of the core
 * it needs: handed in, so this chunk shares no code with the core (a shared chunk would be one
 * more file for every cold start to read).
 */
export interface JwksSourceOptions {
  readonly issuer: string | null;
  readonly jwksUri: string | undefined;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  /** `parseStrictJsonObject`. */
  readonly parseJson: (text: string) => Record<string, unknown> | null;
  /** `isHttpUrl`. */
  readonly isHttpUrl: (value: unknown) => value is string;
}

/**
 * One fetched JWKS: its `keys` member, unchecked, and how long its answer says it is fresh; or, on
 * `304 Not Modified`, word that the keys last kept are still the issuer's.
 */
export type FetchedJwks =
  | {
      readonly notModified: false;
      readonly keys: unknown;
      readonly maxAgeMs: number | undefined;
      /**
       * To call once these keys are loaded: later fetches then ask with this answer's `ETag`
       * (`If-None-Match`), and a 304 means these keys. Not called, a refused document is never
       * taken as current.
       */
      keep(): void;
    }
  | { readonly notModified: true; readonly maxAgeMs: number | undefined };

/** The issuer's JWKS over HTTP, found through discovery unless its URL is given. */
export interface JwksSource {
  fetchJwks(): Promise<FetchedJwks>;
  /** The discovery document (fetched once, again only after a failure); undefined when it cannot be had. */
  metadata(): Promise<Record<string, unknown> | undefined>;
}

/** `max-age` of a `Cache-Control` value in milliseconds, 0 for `no-cache`/`no-store`, undefined without. */
function maxAgeOf(cacheControl: string): number | undefined {
  if (/no-cache|no-store/i.test(cacheControl)) return 0;
  const maxAge = /(?:^|[,\s])max-age=(\d+)/i.exec(cacheControl);
  return maxAge ? Number(maxAge[1]) * 1000 : undefined;
}

/**
 * Creates the JWKS source: discovery (RFC 8414 / OpenID Connect Discovery, whose `issuer` must be
 * the one configured) unless `jwksUri` is given, `Cache-Control: max-age` read from the answer, and
 * conditional requests: once a JWKS answer with an `ETag` is kept, the next fetch of the same URL
 * sends `If-None-Match`, and `304 Not Modified` (its own `Cache-Control` counting) keeps the keys.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2
 */
export function createJwksSource(options: JwksSourceOptions): JwksSource {
  const { issuer, fetch, timeoutMs, parseJson, isHttpUrl } = options;
  let jwksUri = options.jwksUri;
  /** The entity tag of the JWKS answer last kept, and the URL it came from. */
  let kept: { url: string; etag: string } | undefined;

  /** GETs `url` as JSON, conditionally when `etag` is given (`If-None-Match`). */
  function request(url: string, etag?: string) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (etag !== undefined) headers['if-none-match'] = etag;
    return fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  }

  /** The JSON object of a 200 answer; any other status, or another body, is an error. */
  async function objectOf(res: FetchResponse, what: string): Promise<Record<string, unknown>> {
    const doc = res.status === 200 ? parseJson(await res.text()) : null;
    if (doc === null)
      throw new Error(`${what}: HTTP ${res.status}${res.status === 200 ? ', not a JSON object' : ''}`);
    return doc;
  }

  // the discovery document, fetched once (again only after a failure) and shared with the feeds
  let discovery: Promise<Record<string, unknown>> | undefined;
  function discover(): Promise<Record<string, unknown>> {
    const base = issuer as string; // checked by the cache: no jwksUri means an issuer
    discovery ??= request(`${base}${base.endsWith('/') ? '' : '/'}.well-known/openid-configuration`)
      .then((res) => objectOf(res, 'discovery'))
      .then((doc) => {
        if (doc.issuer !== base) throw new Error('discovery: issuer mismatch');
        if (!isHttpUrl(doc.jwks_uri)) throw new Error('discovery: bad jwks_uri');
        return doc;
      })
      .catch((error: unknown) => {
        discovery = undefined;
        throw error;
      });
    return discovery;
  }

  return {
    async fetchJwks(): Promise<FetchedJwks> {
      const discovered = jwksUri === undefined;
      try {
        jwksUri ??= (await discover()).jwks_uri as string;
        const url = jwksUri;
        const asked = kept?.url === url ? kept.etag : undefined;
        const res = await request(url, asked);
        const maxAgeMs = maxAgeOf(res.headers.get('cache-control') ?? '');
        // 304 only answers a conditional request: unasked, it is an error like any other status
        if (res.status === 304 && asked !== undefined) return { notModified: true, maxAgeMs };
        const doc = await objectOf(res, 'JWKS');
        const etag = res.headers.get('etag') ?? undefined;
        return {
          notModified: false,
          keys: doc.keys,
          maxAgeMs,
          keep() {
            kept = etag === undefined ? undefined : { url, etag };
          },
        };
      } catch (error) {
        // a JWKS URL found by discovery is looked up again next time
        if (discovered) {
          jwksUri = undefined;
          discovery = undefined;
        }
        throw error;
      }
    },
    metadata: () => discover().catch(() => undefined),
  };
}

/** What the JWKS cache knows of the issuer's keys; {@link createJwksLoader} writes it, the cache reads it. */
export interface JwksState {
  keys: Map<string, VerificationKey> | null;
  /** Until when (ms) the keys are fresh, and usable at all while refreshes fail. */
  freshUntil: number;
  usableUntil: number;
  /** Failed fetches in a row, and the last one's reason. */
  failures: number;
  lastError: string | undefined;
}

/** What {@link createJwksLoader} needs besides the source: durations in milliseconds. */
export interface JwksLoaderOptions extends JwksSourceOptions {
  readonly state: JwksState;
  readonly logger: AuthorizerLogger;
  readonly now: () => number;
  readonly defaultMaxAge: number;
  readonly minRefresh: number;
  readonly maxRefresh: number;
  readonly staleIfError: number;
  readonly maxKeys: number;
  /** `importJwks`, handed in so this chunk holds no copy of the core's key import. */
  readonly importJwks: typeof importJwks;
}

/**
 * Loads the JWKS into the cache's state: unusable keys skipped and logged, a key whose material did
 * not change kept as the same object, freshness from `Cache-Control` within the floor and ceiling,
 * and the failures counted (logged once per outage). `load` rejects when the fetch fails.
 */
export function createJwksLoader(options: JwksLoaderOptions) {
  const { state, logger, now, importJwks } = options;
  const source = createJwksSource(options);

  function importKeys(list: unknown): Map<string, VerificationKey> {
    if (!Array.isArray(list)) throw new Error('JWKS: no keys');
    const next = importJwks(list.slice(0, options.maxKeys), (_i, reason, jwk) => {
      logger.warn(
        { code: 'ERR_JWKS_KEY_SKIPPED', kid: (jwk as { kid?: unknown } | null)?.kid },
        `JWKS key skipped (${reason})`,
      );
    });
    // a key whose material did not change stays the same object (cached tokens hold it)
    for (const [kid, key] of next) {
      const previous = state.keys?.get(kid);
      if (previous?.fingerprint === key.fingerprint) next.set(kid, previous);
    }
    return next;
  }

  return {
    async load(): Promise<void> {
      try {
        const fetched = await source.fetchJwks();
        // 304: the keys last kept are still the issuer's; only their freshness moves on
        if (!fetched.notModified) {
          const keys = importKeys(fetched.keys);
          if (keys.size === 0) logger.warn({ code: 'ERR_JWKS_EMPTY' }, 'JWKS holds no usable key');
          state.keys = keys;
          fetched.keep();
        }
        const maxAge = fetched.maxAgeMs ?? options.defaultMaxAge;
        state.freshUntil = now() + Math.min(Math.max(maxAge, options.minRefresh), options.maxRefresh);
        state.usableUntil = state.freshUntil + options.staleIfError;
        if (state.failures > 0) logger.info({ failures: state.failures }, 'JWKS reachable again');
        state.failures = 0;
        state.lastError = undefined;
      } catch (error) {
        state.lastError = error instanceof Error ? error.message : 'unknown error';
        // once per outage, not on every retry
        if (state.failures++ === 0) {
          logger.warn({ code: 'ERR_JWKS_REFRESH_FAILED', reason: state.lastError }, 'JWKS refresh failed');
        }
        throw error;
      }
    },
    metadata: source.metadata,
  };
}

/** The loader {@link createJwksLoader} makes. */
export type JwksLoader = ReturnType<typeof createJwksLoader>;

/** The built-in GET client behind `createHttpFetch` (see there). */
export async function httpGet(url: string, init: Parameters<FetchLike>[1]): Promise<FetchResponse> {
  const client = url.startsWith('https:')
    ? process.getBuiltinModule('node:https')
    : process.getBuiltinModule('node:http');
  const limit = init.maxBytes ?? MAX_DOCUMENT_BYTES;
  const once = () =>
    new Promise<FetchResponse>((resolve, reject) => {
      const request = client.get(
        url,
        { headers: init.headers, signal: init.signal },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
              res.destroy();
              reject(new Error('response too large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: {
                get(name) {
                  const value = res.headers[name.toLowerCase()];
                  return value === undefined ? null : String(value);
                },
              },
              text: () => Promise.resolve(body),
            });
          });
        },
      );
      request.on('error', reject);
    });
  try {
    return await once();
  } catch (error) {
    // a kept-alive socket the server closed meanwhile: one immediate retry on a fresh connection
    const code = (error as NodeJS.ErrnoException).code;
    if (init.signal.aborted || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
    return once();
  }
}
