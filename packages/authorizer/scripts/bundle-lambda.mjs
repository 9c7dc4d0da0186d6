#!/usr/bin/env node
// Bundles the Lambda authorizer (src/lambda/handler.ts) into one minified ESM file with no
// dependency outside Node's built-ins: upload it as index.mjs with handler "index.handler".
// Usage: node scripts/bundle-lambda.mjs [outfile]   (default dist/lambda/index.mjs)
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the bundle to `outfile`; resolves to its size in bytes. */
export async function bundleLambda(outfile = `${root}dist/lambda/index.mjs`) {
  const result = await build({
    entryPoints: [`${root}src/lambda/handler.ts`],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  return Object.values(result.metafile.outputs)[0].bytes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  const bytes = await bundleLambda(outfile);
  process.stdout.write(`lambda bundle: ${outfile ?? 'dist/lambda/index.mjs'} (${bytes} bytes)\n`);
}
