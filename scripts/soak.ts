/**
 * Soak: a bounded load of token requests and contacts calls against the real `gatehouse serve`
 * and `gatehouse-contacts` processes (loopback only) for a few minutes, reporting every interval
 * the resident memory of both processes and the latency of each kind of call. Memory must stay
 * flat: after a warm-up third, the last third's peak RSS may exceed the middle third's by at most
 * 15 % (exit code 1 otherwise). Not part of `npm test`.
 *
 *   npx tsx scripts/soak.ts [--minutes 5] [--concurrency 8] [--interval 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/services/free-port.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    interval: { type: 'string', default: '10' },
  },
});
const minutes = Math.min(60, Math.max(0.2, Number(values.minutes)));
const concurrency = Math.min(64, Math.max(1, Number(values.concurrency)));
const intervalMs = Math.max(1, Number(values.interval)) * 1000;
const root = resolve(import.meta.dirname, '..');

function start(bin: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, bin), ...(bin.includes('server') ? ['serve'] : [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((done, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes(ready)) done(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${bin} exited with ${code}:\n${out}`)));
  });
}

async function rssMb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-soak-'));
  const [serverPort, contactsPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${serverPort}/`;
  const admin = { id: 'soak-admin', secret: randomBytes(32).toString('base64url') };
  const server = await start(
    'packages/server/bin/gatehouse.mjs',
    {
      GATEHOUSE_PORT: String(serverPort),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: join(dir, 'server'),
      GATEHOUSE_ADMIN_CLIENT_ID: admin.id,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.secret,
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
    'Press Ctrl+C to stop.',
  );
  const audience = 'https://contacts.soak.test/';
  const contacts = await start(
    'services/contacts/bin/gatehouse-contacts.mjs',
    {
      CONTACTS_PORT: String(contactsPort),
      GATEHOUSE_ISSUER: issuer,
      CONTACTS_AUDIENCE: audience,
      CONTACTS_DATA_DIR: join(dir, 'contacts'),
      CONTACTS_LOG_LEVEL: 'info',
    },
    'contacts service listening',
  );
  const base = `http://127.0.0.1:${serverPort}`;
  const token = async (id: string, secret: string, aud: string) => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: secret,
        audience: aud,
      }),
    });
    return { status: res.status, body: (await res.json()) as { access_token?: string } };
  };
  const mgmt = (await token(admin.id, admin.secret, `${issuer}api/v2/`)).body.access_token!;
  const call = (path: string, body: unknown) =>
    fetch(`${base}/api/v2/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mgmt}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<Record<string, string>>);
  await call('resource-servers', {
    identifier: audience,
    name: 'contacts',
    scopes: [
      { value: 'read:contacts', description: 'r' },
      { value: 'write:contacts', description: 'w' },
    ],
  });
  const client = await call('clients', { name: 'soak' });
  await call('client-grants', {
    client_id: client.client_id!,
    audience,
    scope: ['read:contacts', 'write:contacts'],
  });

  const samples: Array<{ t: number; server: number; contacts: number }> = [];
  let latencies = { token: [] as number[], contacts: [] as number[] };
  let errors = 0;
  let stop = false;
  const endAt = Date.now() + minutes * 60_000;
  const worker = async () => {
    while (!stop) {
      let t0 = performance.now();
      const got = await token(client.client_id!, client.client_secret!, audience).catch(() => undefined);
      latencies.token.push(performance.now() - t0);
      if (got?.status !== 200) {
        errors++;
        continue;
      }
      t0 = performance.now();
      const headers = {
        authorization: `Bearer ${got.body.access_token}`,
        'content-type': 'application/json',
      };
      const created = await fetch(`http://127.0.0.1:${contactsPort}/contacts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'soak' }),
      }).catch(() => undefined);
      const id = created?.ok ? ((await created.json()) as { id: string }).id : undefined;
      if (id === undefined) errors++;
      else {
        await fetch(`http://127.0.0.1:${contactsPort}/contacts/${id}`, { headers }).then((r) =>
          r.arrayBuffer(),
        );
        await fetch(`http://127.0.0.1:${contactsPort}/contacts/${id}`, { method: 'DELETE', headers });
      }
      latencies.contacts.push(performance.now() - t0);
    }
  };
  const reporter = async () => {
    console.log('minute  server MB  contacts MB  token p50/p99 ms  contacts p50/p99 ms  calls  errors');
    while (Date.now() < endAt) {
      await new Promise((r) => setTimeout(r, intervalMs));
      const s = {
        t: (Date.now() - (endAt - minutes * 60_000)) / 60_000,
        server: await rssMb(server),
        contacts: await rssMb(contacts),
      };
      samples.push(s);
      const tk = [...latencies.token].sort((a, b) => a - b);
      const ct = [...latencies.contacts].sort((a, b) => a - b);
      console.log(
        `${s.t.toFixed(1).padStart(6)}  ${s.server.toFixed(1).padStart(9)}  ${s.contacts.toFixed(1).padStart(11)}  ` +
          `${percentile(tk, 50).toFixed(1)}/${percentile(tk, 99).toFixed(1)}`.padStart(16) +
          `${percentile(ct, 50).toFixed(1)}/${percentile(ct, 99).toFixed(1)}`.padStart(21) +
          `${String(tk.length).padStart(7)}  ${errors}`,
      );
      latencies = { token: [], contacts: [] };
    }
    stop = true;
  };
  await Promise.all([reporter(), ...Array.from({ length: concurrency }, worker)]);
  server.kill('SIGTERM');
  contacts.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });

  const third = Math.max(1, Math.floor(samples.length / 3));
  const peak = (from: number, to: number, key: 'server' | 'contacts') =>
    Math.max(...samples.slice(from, to).map((s) => s[key]));
  let flat = true;
  for (const key of ['server', 'contacts'] as const) {
    const middle = peak(third, 2 * third, key);
    const last = peak(2 * third, samples.length, key);
    const growth = (last - middle) / middle;
    console.log(
      `${key}: peak RSS middle third ${middle.toFixed(1)} MB, last third ${last.toFixed(1)} MB (${(growth * 100).toFixed(1)} %)`,
    );
    if (samples.length >= 3 && growth > 0.15) flat = false;
  }
  console.log(flat ? 'memory flat' : 'MEMORY GREW');
  return flat && errors === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
