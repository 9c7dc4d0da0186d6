/**
 * `npm start` and `npm run demo` as a newcomer runs them: the stack starts from nothing, seeds the
 * contacts API and both services, the demo tells the whole story and exits 0, Ctrl-C stops every
 * process, and a second start keeps everything without showing a secret again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertSpawnedOutputClean,
  recordSecret,
  type WatchedProcess,
  watchSpawnedProcess,
} from '../../packages/server/src/testing/secret-scan-spawned.ts';
import { freePort } from '../services/free-port.ts';

const dir = mkdtempSync(join(os.tmpdir(), 'gh-start-'));
const running: ChildProcess[] = [];

async function startStack(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; output: () => string; watched: WatchedProcess }> {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const watched = watchSpawnedProcess('npm start', child, { gatehouseEnv: env });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 45_000;
  while (!out.includes('Ctrl-C stops the stack')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out, watched };
}

function stopStack(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

function run(cmd: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cmd, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watchSpawnedProcess(cmd.join(' '), child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

afterAll(async () => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  try {
    // Every output and the server's store, for the demo credentials and the admin secret.
    await assertSpawnedOutputClean();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('npm start and npm run demo', () => {
  it('starts the stack, tells the story, stops cleanly, and keeps everything on the next start', async () => {
    const gp = await freePort();
    const cp = await freePort();
    const env = {
      GATEHOUSE_PORT: String(gp),
      CONTACTS_PORT: String(cp),
      GATEHOUSE_DATA_DIR: join(dir, 'gatehouse'),
      CONTACTS_DATA_DIR: join(dir, 'contacts'),
      GATEHOUSE_ISSUER: `http://127.0.0.1:${gp}/`,
      CONTACTS_URL: `http://127.0.0.1:${cp}`,
    };
    const first = await startStack(env);
    const shown = first.output();
    expect(shown).toContain('Credentials, shown once');
    const secrets = [...shown.matchAll(/client_secret ([\w-]{43})/g)].map((m) => m[1]);
    expect(secrets).toHaveLength(2);
    for (const s of secrets) {
      recordSecret('demo client secret', s);
      first.watched.allow(s); // its one-time display (and the curl command under it)
    }
    const state = JSON.parse(readFileSync(join(dir, 'gatehouse', 'local-stack.json'), 'utf8'));
    recordSecret('bootstrap admin secret', state.admin.clientSecret);
    expect(statSync(join(dir, 'gatehouse', 'local-stack.json')).mode & 0o777).toBe(0o600);

    const demo = await run(['scripts/demo.mjs'], env);
    expect(demo.out).toContain('All 7 steps behaved as told.');
    expect(demo.code).toBe(0);
    for (const s of secrets) expect(demo.out).not.toContain(s);

    expect(await stopStack(first.child)).toBe(0);

    const second = await startStack(env);
    expect(second.output()).toContain('Everything from the first start was kept');
    for (const s of secrets) expect(second.output()).not.toContain(s);
    // The seeded clients still work after the restart: the demo's first steps pass again.
    const again = await run(['scripts/demo.mjs'], env);
    expect(again.code).toBe(0);
    expect(await stopStack(second.child)).toBe(0);
  }, 120_000);

  it('fails with a clear message when the demo runs without a stack', async () => {
    const r = await run(['scripts/demo.mjs'], { GATEHOUSE_DATA_DIR: join(dir, 'nothing-here') });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Start it first with: npm start');
  });
});
