// Shared by the three bins: run the esbuild bundle in ../dist when it is at least as new as every
// source file it was built from, otherwise run the TypeScript sources through tsx. Checking
// freshness costs one stat per source file (a few milliseconds); tsx costs most of a second.
import { readFileSync, statSync } from 'node:fs';

/** Imports the fresh bundle of the package at `pkgUrl`, or its `src/cli/main.ts` through tsx. */
export async function runBin(pkgUrl) {
  const dist = new URL('dist/', pkgUrl);
  if (isFresh(dist)) return import(new URL('cli.mjs', dist).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL('src/cli/main.ts', pkgUrl).href);
}

function isFresh(dist) {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('cli.inputs.json', dist), 'utf8'));
    for (const input of inputs) if (statSync(new URL(input, dist)).mtimeMs > builtAt) return false;
    return statSync(new URL('cli.mjs', dist)).mtimeMs >= builtAt - 1;
  } catch {
    return false;
  }
}
