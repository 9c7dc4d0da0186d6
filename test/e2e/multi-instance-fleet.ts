/**
 * A fleet of real `gatehouse serve` processes for the several-servers tests: each on its own port
 * and data directory, sharing one store, one issuer, one key-encryption key and one admin client.
 * Logs (JSON lines on stdout) are kept for inspection. Every process's output, and the shared
 * store, are scanned for the secrets and tokens the helpers obtained by the suite's
 * `assertSpawnedOutputClean()` (packages/server/src/testing/secret-scan-spawned.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  recordSecret,
  recordSecretsFromAnswer,
  watchSpawnedProcess,
} from '../../packages/server/src/testing/secret-scan-spawned.ts';
import { freePort } from '../services/free-port.ts';

/** The real bin, as a user runs it. */
export const GATEHOUSE_BIN = resolve(import.meta.dirname, '../../packages/server/bin/gatehouse.mjs');

const START_TIMEOUT_MS = 60_000;

/** One running `gatehouse serve`. */
export interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  /** JSON log lines written so far. */
  logs(): Record<string, unknown>[];
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** What every instance of a fleet shares. */
export interface FleetSettings {
  issuer: string;
  admin: { clientId: string; clientSecret: string };
  /** GATEHOUSE_* variables of the store and the rest (sync interval, rotation). */
  env: Record<string, string>;
}

/** Settings with a fresh admin client and KEK. */
export function createFleetSettings(env: Record<string, string>): FleetSettings {
  const settings = {
    issuer: 'http://gatehouse.fleet.test/',
    admin: {
      clientId: `fleet-admin-${randomBytes(4).toString('hex')}`,
      clientSecret: randomBytes(32).toString('base64url'),
    },
    env: { GATEHOUSE_KEK: randomBytes(32).toString('base64url'), ...env },
  };
  recordSecret('bootstrap admin secret', settings.admin.clientSecret);
  return settings;
}

/** The parent environment without anything of gatehouse or vitest in it. */
export function childEnvironment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      key.startsWith('GATEHOUSE_') ||
      key.startsWith('VITEST') ||
      key === 'NODE_OPTIONS'
    ) {
      continue;
    }
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs the bin to completion (e.g. `store init`), answering its exit code and output. */
export function runGatehouse(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  watchSpawnedProcess(`gatehouse ${args.join(' ')}`, child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((done, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatehouse ${args.join(' ')} did not finish:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Starts one `gatehouse serve` of the fleet and waits for its banner. */
export async function startInstance(name: string, settings: FleetSettings): Promise<Instance> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `gatehouse-fleet-${name}-`));
  const env = childEnvironment({
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ISSUER: settings.issuer,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_ADMIN_CLIENT_ID: settings.admin.clientId,
    GATEHOUSE_ADMIN_CLIENT_SECRET: settings.admin.clientSecret,
    GATEHOUSE_LOG_LEVEL: 'info',
    ...settings.env,
  });
  const child = spawn(process.execPath, [GATEHOUSE_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  watchSpawnedProcess(`gatehouse serve ${name}`, child, { gatehouseEnv: env });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const gone = exited.then(() => rm(dataDir, { recursive: true, force: true }));
  const instance: Instance = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await gone;
    },
  };
  await new Promise<void>((ready, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no banner within ${START_TIMEOUT_MS} ms:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (stderr.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer);
        ready();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: gatehouse serve exited with ${code} before its banner:\n${stderr}`));
    });
  });
  return instance;
}

/** HTTP Basic credentials, form-encoded first as RFC 6749 section 2.3.1 asks. */
export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A token request; answers the status and JSON body. */
export async function requestToken(
  url: string,
  client: { id: string; secret: string },
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(client.id, client.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  recordSecretsFromAnswer(body);
  return { status: res.status, body };
}

/** Calls the Management API of `url` with `token`. */
export async function management(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/api/v2/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const answer = text === '' ? null : (JSON.parse(text) as unknown);
  recordSecretsFromAnswer(answer);
  return { status: res.status, body: answer };
}
