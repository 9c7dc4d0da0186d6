/**
 * The console's static files, built by Vite into `packages/console/dist` (by `npm ci`'s prepare
 * step and by `npm run build`), served at `/admin/` with a strict Content-Security-Policy: scripts
 * and styles only from this origin, no inline script, no framing. When the build is missing the
 * console answers a page that says how to build it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';

/** CSP of every console answer: no inline script or style, nothing from elsewhere. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** One static file. */
export interface ConsoleAsset {
  body: Uint8Array;
  type: string;
}

/** Reads the console's built files. */
export interface ConsoleAssets {
  /** The built directory, or undefined when it could not be found. */
  readonly dir: string | undefined;
  /** `index.html`, or undefined when the console is not built. */
  index(): Promise<ConsoleAsset | undefined>;
  /** A file under `assets/` by its (hashed) name; undefined when missing or not a plain name. */
  asset(name: string): Promise<ConsoleAsset | undefined>;
}

/** Where `@gatehouse/console` builds to, found through module resolution (works from the bundle too). */
export function defaultConsoleDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@gatehouse/console/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Creates the reader; files are read once and kept (they are small and hashed by name). */
export function createConsoleAssets(dir: string | undefined): ConsoleAssets {
  const cache = new Map<string, Promise<ConsoleAsset | undefined>>();
  const load = (relative: string): Promise<ConsoleAsset | undefined> => {
    if (dir === undefined) return Promise.resolve(undefined);
    let entry = cache.get(relative);
    if (entry === undefined) {
      entry = readFile(join(dir, relative)).then(
        (body) => ({ body, type: TYPES[extname(relative)] ?? 'application/octet-stream' }),
        () => undefined,
      );
      // A missing index is looked for again next time: the build may finish after start-up.
      void entry.then((found) => {
        if (found === undefined) cache.delete(relative);
      });
      cache.set(relative, entry);
    }
    return entry;
  };
  return {
    dir,
    index: () => load('index.html'),
    asset: (name) =>
      SAFE_NAME.test(name) && !name.includes('..') ? load(join('assets', name)) : Promise.resolve(undefined),
  };
}
