import type { IncomingMessage } from 'node:http';

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
    /** Largest body read, in bytes (the built-in client's default: {@link MAX_DOCUMENT_BYTES}). */
    maxBytes?: number | undefined;
  },
) => Promise<FetchResponse>;

/** Largest discovery or JWKS document read, in bytes, unless a request says otherwise. */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * A small GET-only fetch on `node:http` / `node:https`, loaded on first use. It starts faster in a
 * fresh process than `globalThis.fetch` (whose HTTP client loads on first call), which matters for a
 * Lambda cold start (see bench/lambda-cold-start.bench.ts).
 */
export function createHttpFetch(): FetchLike {
  return async (url, init) => {
    const client = url.startsWith('https:') ? await import('node:https') : await import('node:http');
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
  };
}
