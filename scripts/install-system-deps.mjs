#!/usr/bin/env node
// Installs the Debian packages the test suite needs when they are missing (the `pretest` step),
// so `npm ci && npm test` works on a fresh machine. Each entry names the binary that proves the
// package is there; nothing is installed when everything is present.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { bin: '/usr/sbin/nginx', pkg: 'nginx', why: 'forward-auth tests run a real nginx' },
  { bin: '/usr/bin/java', pkg: 'openjdk-17-jre-headless', why: 'DynamoDB Local needs Java 17' },
  { bin: '/usr/bin/chromium', pkg: 'chromium', why: 'admin console tests drive a real browser' },
  { bin: '/usr/bin/psql', pkg: 'postgresql', why: 'store tests run against a real PostgreSQL' },
  {
    bin: '/usr/bin/systemd-analyze',
    pkg: 'systemd',
    why: 'the systemd units are checked with systemd-analyze verify',
  },
];

const missing = needs.filter((n) => !existsSync(n.bin));
if (missing.length === 0) {
  console.log('system packages: all present');
  process.exit(0);
}
for (const m of missing) console.log(`system packages: ${m.pkg} is missing (${m.why})`);
if (process.getuid?.() !== 0) {
  const sudo = spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!sudo) {
    console.error(`system packages: run as root: apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
    process.exit(1);
  }
}
const prefix = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
const run = (args) => {
  const [cmd, ...rest] = [...prefix, ...args];
  execFileSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
run(['apt-get', 'update', '-qq']);
run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing.map((m) => m.pkg)]);
console.log('system packages: installed', missing.map((m) => m.pkg).join(' '));
