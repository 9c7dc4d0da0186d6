#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (they pin
// cores and must not overlap), then writes bench/REPORT.md from the sections they leave in
// bench/.results/. Pass names to run a subset: `npm run bench -- token verify`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const results = join(here, '.results');
mkdirSync(results, { recursive: true });

const reportPath = join(here, 'REPORT.md');
const old = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '';
// .results/ is not committed: a fresh clone takes the sections of the committed report back, so a
// subset run keeps the sections it does not rerun there too
for (const [, name, section] of old.matchAll(/<!-- bench: ([\w-]+) -->\n([\s\S]*?)(?=\n<!-- bench: |$)/g)) {
  const file = join(results, `${name}.md`);
  if (!existsSync(file)) writeFileSync(file, `${section.trim()}\n`);
}

/** Where and when a section was measured: sections kept from earlier runs may come from other machines. */
const RUN_LINE = /^_Run on .*_\n\n?/m;
function stampSection(name) {
  const file = join(results, `${name}.md`);
  if (!existsSync(file)) return;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const line = `_Run on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu}, Node ${process.version}._\n`;
  const text = readFileSync(file, 'utf8').replace(RUN_LINE, '');
  const eol = text.indexOf('\n') + 1; // after the section's "## title"
  writeFileSync(file, `${text.slice(0, eol)}\n${line}\n${text.slice(eol).replace(/^\n/, '')}`);
}

const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

let failed = 0;
for (const [i, name] of benches.entries()) {
  console.log(`\n[${i + 1}/${benches.length}] bench ${name}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.bench.ts`)], {
    stdio: 'inherit',
    cwd: join(here, '..'),
    timeout: 15 * 60_000,
  });
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
  } else {
    stampSection(name);
    console.log(`bench ${name} done in ${secs}s`);
  }
}

const sections = readdirSync(results)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => `<!-- bench: ${f.slice(0, -3)} -->\n${readFileSync(join(results, f), 'utf8').trim()}`);
const header = `# gatehouse benchmarks

Written by \`npm run bench\`. Each section below comes from one run of its bench, on the machine and
day its first line names, with the peers measured beside gatehouse in that same run
(\`npm run bench -- <name>\` reruns one section and keeps the others); read the ratios, not the
absolute figures: the shared machines these ran on vary in speed from day to day. Loads target
loopback only.
`;
writeFileSync(reportPath, `${header}\n${sections.join('\n\n')}\n`);
console.log(`\nwrote ${reportPath}${old ? ' (replaced the previous report)' : ''}`);
process.exit(failed ? 1 : 0);
