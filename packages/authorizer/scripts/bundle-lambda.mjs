#!/usr/bin/env node
// Bundles the Lambda authorizer (src/lambda/handler.ts) into minified ESM files with no dependency
// outside Node's built-ins: upload the directory, with handler "index.handler".
// Usage: node scripts/bundle-lambda.mjs [outdir]   (default dist/lambda)
//
// Split on purpose: index.mjs is what every cold start reads, and all that one with the JWKS
// preloaded (AUTHORIZER_JWKS) and no revocation feed reads before its first answer: configuration,
// the verifier, the route policy, the IAM answer builder, the handler. Chunks of their own, read only
// when their feature is used: the fetch code (discovery, JWKS, the HTTP client: src/jwks/jwks-fetch.ts,
// imported at init when keys are fetched then, else after the first answer), the feed code
// (revocation feed, remote policy: src/sync/feeds.ts) and the issuer profiles other than gatehouse.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Node's built-in modules taken with `process.getBuiltinModule` (Node 20.16 and later) rather than
 * `import`: importing one as ESM builds a facade that reads every export, and reading some of them
 * loads more of Node (`node:crypto`'s `webcrypto`, `node:fs`'s streams), which a cold start then pays
 * for (about 5 million instructions, a tenth of what the authorizer adds to an empty handler; counted
 * with valgrind --tool=callgrind). Each export becomes a pure constant, so unused ones are dropped.
 */
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' && builtinModules.includes(args.path.slice(5))
        ? { path: args.path, namespace: 'builtin' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      return {
        contents: [
          `const m = /* @__PURE__ */ process.getBuiltinModule(${JSON.stringify(args.path)});`,
          ...names.map((name) => `export const ${name} = /* @__PURE__ */ (() => m.${name})();`),
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/**
 * terser after esbuild: esbuild bundles and splits, terser's compressor (two passes) then makes
 * each file about 4% smaller gzipped (~450 bytes of index.mjs) than esbuild's minifier alone. Only
 * names local to each file are mangled; exports and the chunks' import paths stay as esbuild wrote
 * them.
 */
async function compress(file) {
  const { code } = await minify(await readFile(file, 'utf8'), {
    module: true,
    compress: { passes: 2 },
    format: { comments: false },
  });
  await writeFile(file, code);
  return Buffer.byteLength(code);
}

/**
 * Builds the bundle into `outdir` (emptied first); resolves to its files, each with its size in
 * bytes and whether every cold start reads it (`critical`: index.mjs and what it imports
 * statically) or only one whose configuration needs it. `options` override esbuild's (profiling).
 */
export async function bundleLambda(outdir = join(root, 'dist/lambda'), options = {}) {
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
    plugins: [builtinsWithoutFacade],
    ...options,
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
  const minified = options.minify !== false;
  return Promise.all(
    Object.keys(outputs).map(async (path) => {
      const file = join(outdir, basename(path));
      return {
        file,
        bytes: minified ? await compress(file) : outputs[path].bytes,
        critical: critical.has(path),
      };
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const outdir = arg === undefined ? undefined : arg.endsWith('.mjs') ? dirname(arg) : arg;
  for (const { file, bytes, critical } of await bundleLambda(outdir)) {
    process.stdout.write(
      `lambda bundle: ${file} (${bytes} bytes${critical ? '' : ', read only when its feature is used'})\n`,
    );
  }
}
