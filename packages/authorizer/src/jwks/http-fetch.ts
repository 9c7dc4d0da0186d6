/** The part of a WHATWG `Response` the JWKS cache reads; `globalThis.fetch` satisfies it. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** A fetch function the JWKS cache can be given (default: {@link createHttpFetch}; `fetch` works too). */
export type FetchLike = (
  url: string,
  init: {
    headers: Record<string, string>;
    signal: AbortSignal;
    /** Largest body read, in bytes (the built-in client's default: 512 KiB). */
    maxBytes?: number | undefined;
  },
) => Promise<FetchResponse>;

/** Whether `value` is an absolute http(s) URL. */
export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/[^\s/]/.test(value);
}

/** The built-in fetch, which also says whether any of its requests is under way. */
export type HttpFetch = FetchLike & {
  /** Settles once no request made through this fetch is under way; undefined when none is now. */
  pending(): Promise<void> | undefined;
};

/**
 * A small GET-only fetch on `node:http` / `node:https` (`httpGet` in `jwks-fetch.ts`), whose code is
 * imported on first use. It starts faster in a fresh process than `globalThis.fetch` (whose HTTP
 * client loads on first call), which matters for a Lambda cold start (see
 * bench/lambda-cold-start.bench.ts); `process.getBuiltinModule` also skips the ESM facade an
 * `import()` of `node:https` would build. `pending()` lets a background refresh wait for the
 * requests an answer waits for (a cold start's revocation feed), and then reuse their connection.
 */
export function createHttpFetch(): HttpFetch {
  let active = 0;
  let settled: Promise<void> | undefined;
  let settle = () => {};
  const fetch: FetchLike = (url, init) => {
    if (active++ === 0) settled = new Promise<void>((resolve) => (settle = resolve));
    return import('./jwks-fetch.ts')
      .then((m) => m.httpGet(url, init))
      .finally(() => {
        if (--active > 0) return;
        settled = undefined;
        settle();
      });
  };
  return Object.assign(fetch, { pending: () => settled });
}
