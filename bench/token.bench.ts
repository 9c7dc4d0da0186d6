/**
 * Token endpoint throughput (issue 3): gatehouse vs oidc-provider@8.8.1 vs the raw RS256
 * crypto.sign ceiling, first with every server pinned to one core (taskset -c 0, the load
 * generator on core 1), then unpinned on all cores. RS256, client_secret_basic, one API.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runLoad, ratio, type LoadResult } from './lib/load.ts';
import { freePort, hasTaskset, spawnUntilReady } from './lib/processes.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;
const cores = os.cpus().length;
const node = process.execPath;

async function rawCeiling(cpus: string | undefined, processes: number): Promise<number> {
  const runs = await Promise.all(
    Array.from({ length: processes }, () =>
      spawnUntilReady<{ ops: number }>(node, ['bench/peers/raw-sign.mjs'], {
        cpus: cpus ?? undefined,
        env: { SECONDS: String(Math.min(SECONDS, 5)) },
        timeoutMs: 60_000,
      }).then((r) => r.info.ops),
    ),
  );
  return runs.reduce((a, b) => a + b, 0);
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const r = await fetch(url, init);
  const body = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

async function gatehouse(cpus: string | undefined): Promise<{ load: () => Promise<LoadResult>; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gh-bench-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const admin = { id: 'bench-admin', secret: 'bench-admin-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
  const server = await spawnUntilReady(node, ['packages/server/bin/gatehouse.mjs', 'serve'], {
    cpus,
    waitForUrl: `${issuer}healthz`,
    env: {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_CLIENT_ID: admin.id,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.secret,
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
  });
  const mgmt = await json(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { authorization: basic(admin.id, admin.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${issuer}api/v2/` }),
  });
  const auth = { authorization: `Bearer ${mgmt.access_token}`, 'content-type': 'application/json' };
  const audience = 'https://contacts.bench/';
  await json(`${issuer}api/v2/resource-servers`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ identifier: audience, name: 'Contacts', scopes: [{ value: 'read:contacts', description: 'Read' }], signing_alg: 'RS256' }),
  });
  const client = await json(`${issuer}api/v2/clients`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Bench' }) });
  await json(`${issuer}api/v2/client-grants`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ client_id: client.client_id, audience, scope: ['read:contacts'] }),
  });
  const load = () =>
    runLoad({
      url: `${issuer}oauth/token`,
      method: 'POST',
      headers: { authorization: basic(String(client.client_id), String(client.client_secret)), 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&audience=${encodeURIComponent(audience)}`,
      connections: CONNECTIONS,
      seconds: SECONDS,
      cpus: cpus ? '1' : undefined,
    });
  return {
    load,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function oidcProvider(cpus: string | undefined): Promise<{ load: () => Promise<LoadResult>; stop: () => Promise<void> }> {
  const port = await freePort();
  const peer = await spawnUntilReady<{ url: string; audience: string; clientId: string; clientSecret: string }>(
    node,
    ['bench/peers/oidc-provider-server.mjs'],
    { cpus, env: { PORT: String(port), NODE_ENV: 'production' } },
  );
  const { url, audience, clientId, clientSecret } = peer.info;
  const load = () =>
    runLoad({
      url: `${url}/token`,
      method: 'POST',
      headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&resource=${encodeURIComponent(audience)}&scope=read%3Acontacts`,
      connections: CONNECTIONS,
      seconds: SECONDS,
      cpus: cpus ? '1' : undefined,
    });
  return { load, stop: peer.stop };
}

async function measure(label: string, cpus: string | undefined) {
  const start = async (make: typeof gatehouse) => {
    const s = await make(cpus);
    try {
      await s.load(); // warm-up run, discarded
      return await s.load();
    } finally {
      await s.stop();
    }
  };
  console.log(`${label}: raw ceiling…`);
  const raw = await rawCeiling(cpus, cpus ? 1 : cores);
  console.log(`${label}: gatehouse…`);
  const gh = await start(gatehouse);
  console.log(`${label}: oidc-provider…`);
  const op = await start(oidcProvider);
  return { label, raw, gh, op };
}

const rows = [];
if (hasTaskset && cores >= 2) rows.push(await measure('one core (taskset -c 0)', '0'));
rows.push(await measure(`all ${cores} cores, unpinned`, undefined));

const lines = [
  '## Token endpoint (`POST /oauth/token`, RS256, client_secret_basic, one API)',
  '',
  `autocannon, ${CONNECTIONS} connections, ${SECONDS} s after an equal warm-up; the load generator runs on core 1 when the server is pinned to core 0.`,
  'The raw ceiling is `crypto.sign` of a JWT-sized RS256 input in a loop (one process per measured core), no HTTP at all.',
  'Goal: gatehouse ≥ 0.85× the raw ceiling on one core; oidc-provider reaches about half of it.',
  '',
  '| cores | raw crypto.sign/s | gatehouse req/s | oidc-provider req/s | gatehouse ÷ raw | oidc-provider ÷ raw | gatehouse ÷ oidc-provider | gatehouse p99 ms | non-2xx (gh / op) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.raw.toFixed(0)} | ${r.gh.rps.toFixed(0)} | ${r.op.rps.toFixed(0)} | ${ratio(r.gh.rps, r.raw)} | ${ratio(r.op.rps, r.raw)} | ${ratio(r.gh.rps, r.op.rps)} | ${r.gh.latencyP99} | ${r.gh.non2xx} / ${r.op.non2xx} |`,
  ),
];
if (!hasTaskset) lines.push('', '_taskset was not available: every run was unpinned._');
const section = lines.join('\n');
mkdirSync('bench/.results', { recursive: true });
writeFileSync('bench/.results/token.md', `${section}\n`);
console.log(section);
