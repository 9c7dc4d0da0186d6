#!/usr/bin/env node
// Bundles each command-line entry point (gatehouse, gatehouse-authorizer, gatehouse-contacts)
// into <package>/dist/cli.mjs with esbuild, so a bin starts in a fraction of the time the tsx
// loader needs. Workspace packages (@gatehouse/*) are bundled; npm dependencies stay external
// and load from node_modules. Runs as the root `prepare` step (after `npm ci`) and in
// `npm run build`. The bins fall back to tsx when a bundle is missing or older than its sources,
// so a bundle can never run stale code.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entries = [
  { pkg: 'packages/server', entry: 'src/cli/main.ts' },
  { pkg: 'packages/authorizer', entry: 'src/cli/main.ts' },
  { pkg: 'services/contacts', entry: 'src/cli/main.ts' },
];

/** Keeps every bare import external except our own workspace packages. */
const externalDeps = {
  name: 'external-deps',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@gatehouse/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const started = Date.now();
for (const { pkg, entry } of entries) {
  const outdir = join(root, pkg, 'dist');
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, pkg, entry)],
    outfile: join(outdir, 'cli.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [externalDeps],
    banner: {
      js: "import { createRequire as __gatehouseCreateRequire } from 'node:module'; const require = __gatehouseCreateRequire(import.meta.url);",
    },
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) =>
    relative(join(root, pkg, 'dist'), resolve(root, p)),
  );
  const builtAt = statSync(join(outdir, 'cli.mjs')).mtimeMs;
  writeFileSync(join(outdir, 'cli.inputs.json'), JSON.stringify({ builtAt, inputs }));
}
console.log(`bundled ${entries.length} command-line entry points in ${Date.now() - started} ms`);

// The admin console (packages/console): static files built by Vite into packages/console/dist,
// which the server serves at /admin/. Without Vite (an install that left it out), the server
// answers /admin/ with a page that says how to build it.
{
  const consoleStarted = Date.now();
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn(
      'vite is not installed: the admin console was not built (the server will say so at /admin/)',
    );
  }
  if (vite !== undefined) {
    await vite.build({ configFile: join(root, 'packages/console/vite.config.ts'), logLevel: 'warn' });
    console.log(`built the admin console in ${Date.now() - consoleStarted} ms`);
  }
}
