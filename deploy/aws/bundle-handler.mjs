#!/usr/bin/env node
// Bundles one Lambda handler of deploy/aws/handlers with the esbuild settings of serverless.yml
// (`custom.esbuild`, the one source of them) and the same plugins, for the CDK app, whose asset
// bundling hook is synchronous and so runs this script as a child process.
// Usage: node deploy/aws/bundle-handler.mjs <handler name, e.g. contacts-list> <output directory>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));

/** esbuild options from serverless.yml's custom.esbuild (serverless-esbuild's names mapped). */
export function readBundleOptions() {
  const settings = parse(readFileSync(join(here, 'serverless.yml'), 'utf8')).custom.esbuild;
  const plugins = createRequire(import.meta.url)(join(here, settings.plugins));
  return {
    bundle: settings.bundle,
    minify: settings.minify,
    sourcemap: settings.sourcemap,
    target: settings.target,
    platform: settings.platform,
    format: settings.format,
    mainFields: settings.mainFields,
    banner: settings.banner,
    outExtension: { '.js': settings.outputFileExtension },
    plugins,
    legalComments: 'none',
    logLevel: 'error',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, outdir] = process.argv.slice(2);
  if (!name || !/^[a-z-]+$/.test(name) || !outdir) {
    process.stderr.write('usage: bundle-handler.mjs <handler name> <output directory>\n');
    process.exit(2);
  }
  await build({ ...readBundleOptions(), entryPoints: [join(here, 'handlers', `${name}.ts`)], outdir });
}
