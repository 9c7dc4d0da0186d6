#!/usr/bin/env node
// Bundles the Lambda authorizer (src/lambda/handler.ts) into minified ESM files with no dependency
// outside Node's built-ins: upload the directory, with handler "index.handler".
// Usage: node scripts/bundle-lambda.mjs [outdir]   (default dist/lambda)
//
// Split on purpose: index.mjs (and any chunk it imports statically) is what a cold start reads before
// it can ask for keys, and judges tokens; the feed code (revocation feed, remote policy:
// src/sync/feeds.ts) and the IAM answer builder (src/lambda/iam-policy.ts) are chunks of their own,
// imported at init and read while the first key and feed fetches are in flight.
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the bundle into `outdir` (emptied first); resolves to its files, each with its size in
 * bytes and whether a cold start reads it before the first key fetch (`critical`) or while it runs.
 */
export async function bundleLambda(outdir = join(root, 'dist/lambda')) {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: join(root, 'src/lambda/handler.ts') },
    outdir,
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = result.metafile.outputs;
  const critical = new Set();
  const visit = (path) => {
    if (critical.has(path)) return;
    critical.add(path);
    for (const i of outputs[path].imports)
      if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(Object.keys(outputs).find((path) => basename(path) === 'index.mjs'));
  return Object.entries(outputs).map(([path, output]) => ({
    file: join(outdir, basename(path)),
    bytes: output.bytes,
    critical: critical.has(path),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const outdir = arg === undefined ? undefined : arg.endsWith('.mjs') ? dirname(arg) : arg;
  for (const { file, bytes, critical } of await bundleLambda(outdir)) {
    process.stdout.write(
      `lambda bundle: ${file} (${bytes} bytes${critical ? '' : ', loaded during the first key fetch'})\n`,
    );
  }
}
