/**
 * Token endpoint throughput (issue 3): gatehouse vs oidc-provider@8.8.1 vs the raw RS256
 * crypto.sign ceiling, first with every server pinned to one core (taskset -c 0, the load
 * generator on core 1), then unpinned on all cores. RS256, client_secret_basic, one API.
 *
 * Robust on a shared machine: every subject runs in each of BENCH_ROUNDS interleaved rounds (the
 * order rotates), and the report gives medians, so a burst of load from another process spoils one
 * round, not one subject. Beside req/s it reports the CPU time each server process (all its
 * threads) spent per request, against the CPU time of one raw signature: other processes slow a
 * server down but hardly change the work it does per request. A bare node:http server that only
 * signs is measured too, signing in line and on libuv's thread pool (as gatehouse does): it shows
 * what HTTP in Node costs on top of the signature, for any server.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { basic, provisionBenchClient } from './lib/gatehouse.ts';
import { type LoadResult, ratio, runLoad } from './lib/load.ts';
import { freePort, hasTaskset, spawnUntilReady } from './lib/processes.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 32;
/** Issue 3: gatehouse's one-core req/s at least this share of the raw signing ceiling. */
const GOAL = 0.85;
const cores = os.cpus().length;
const node = process.execPath;
const hasProc = existsSync('/proc/self/stat');
const TICK_US = 1e6 / 100; // USER_HZ: 100 on Linux.

interface Server {
  name: string;
  pid: number;
  load(): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** CPU time (user + system, all threads) a process has used, in µs; NaN without /proc. */
function cpuUs(pid: number): number {
  if (!hasProc) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return Number.NaN;
  }
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The raw ceiling: `processes` raw-sign loops side by side; their ops summed, CPU per signature averaged. */
async function rawCeiling(cpus: string | undefined, processes: number) {
  const runs = await Promise.all(
    Array.from({ length: processes }, () =>
      spawnUntilReady<{ ops: number; cpuUsPerOp: number }>(node, ['bench/peers/raw-sign.mjs'], {
        cpus,
        env: { SECONDS: String(SECONDS) },
        timeoutMs: 60_000,
      }).then((r) => r.info),
    ),
  );
  return {
    ops: runs.reduce((a, r) => a + r.ops, 0),
    cpuUsPerOp: runs.reduce((a, r) => a + r.cpuUsPerOp, 0) / runs.length,
  };
}

const tokenLoad = (url: string, authorization: string, body: string, cpus: string | undefined) => () =>
  runLoad({
    url,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
    connections: CONNECTIONS,
    seconds: SECONDS,
    cpus: cpus ? '1' : undefined,
  });

async function gatehouse(cpus: string | undefined): Promise<Server> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gh-bench-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const admin = { id: 'bench-admin', secret: 'bench-admin-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
  const server = await spawnUntilReady(node, ['packages/server/bin/gatehouse.mjs', 'serve'], {
    cpus,
    waitForUrl: `${issuer}healthz`,
    timeoutMs: 60_000,
    env: {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_CLIENT_ID: admin.id,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.secret,
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
  });
  const client = await provisionBenchClient(issuer, admin, 'https://contacts.bench/');
  return {
    name: 'gatehouse',
    pid: server.child.pid!,
    load: tokenLoad(
      `${issuer}oauth/token`,
      basic(client.clientId, client.clientSecret),
      `grant_type=client_credentials&audience=${encodeURIComponent(client.audience)}`,
      cpus,
    ),
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function oidcProvider(cpus: string | undefined): Promise<Server> {
  const port = await freePort();
  const peer = await spawnUntilReady<{
    url: string;
    audience: string;
    clientId: string;
    clientSecret: string;
  }>(node, ['bench/peers/oidc-provider-server.mjs'], {
    cpus,
    env: { PORT: String(port), NODE_ENV: 'production' },
  });
  const { url, audience, clientId, clientSecret } = peer.info;
  return {
    name: 'oidc-provider',
    pid: peer.child.pid!,
    load: tokenLoad(
      `${url}/token`,
      basic(clientId, clientSecret),
      `grant_type=client_credentials&resource=${encodeURIComponent(audience)}&scope=read%3Acontacts`,
      cpus,
    ),
    stop: peer.stop,
  };
}

const FLOOR = 'node:http + sign';
const POOLED_FLOOR = 'node:http + pooled sign';

async function httpFloor(cpus: string | undefined, onPool = false): Promise<Server> {
  const port = await freePort();
  const peer = await spawnUntilReady<{ url: string }>(node, ['bench/peers/http-sign-server.mjs'], {
    cpus,
    env: { PORT: String(port), POOL: onPool ? '1' : '0' },
  });
  return {
    name: onPool ? POOLED_FLOOR : FLOOR,
    pid: peer.child.pid!,
    load: tokenLoad(`${peer.info.url}/oauth/token`, basic('c', 's'), 'grant_type=client_credentials', cpus),
    stop: peer.stop,
  };
}

interface Measured {
  rps: number;
  p99: number;
  non2xx: number;
  cpuUsPerRequest: number;
}

async function measure(label: string, cpus: string | undefined) {
  console.log(`${label}: starting servers…`);
  const servers: Server[] = [];
  try {
    const pooledFloor = (c: string | undefined) => httpFloor(c, true);
    for (const make of [gatehouse, oidcProvider, httpFloor, pooledFloor]) servers.push(await make(cpus));
    for (const s of servers) await s.load(); // warm-up, discarded
    const rounds = new Map<string, { rps: number[]; p99: number[]; non2xx: number; cpu: number[] }>();
    const raw = { ops: [] as number[], cpuUsPerOp: [] as number[] };
    const subjects = ['raw', ...servers.map((s) => s.name)];
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order, so no subject always follows the same one.
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]!);
      console.log(`${label}: round ${round + 1}/${ROUNDS}`);
      for (const name of order) {
        if (name === 'raw') {
          const r = await rawCeiling(cpus, cpus ? 1 : cores);
          raw.ops.push(r.ops);
          raw.cpuUsPerOp.push(r.cpuUsPerOp);
          continue;
        }
        const server = servers.find((s) => s.name === name)!;
        const before = cpuUs(server.pid);
        const result = await server.load();
        const used = cpuUs(server.pid) - before;
        const entry = rounds.get(name) ?? { rps: [], p99: [], non2xx: 0, cpu: [] };
        entry.rps.push(result.rps);
        entry.p99.push(result.latencyP99);
        entry.non2xx += result.non2xx + result.errors;
        entry.cpu.push(result.requests > 0 ? used / result.requests : Number.NaN);
        rounds.set(name, entry);
      }
    }
    const of = (name: string): Measured => {
      const e = rounds.get(name)!;
      return { rps: median(e.rps), p99: median(e.p99), non2xx: e.non2xx, cpuUsPerRequest: median(e.cpu) };
    };
    return {
      label,
      raw: { ops: median(raw.ops), cpuUsPerOp: median(raw.cpuUsPerOp) },
      gh: of('gatehouse'),
      op: of('oidc-provider'),
      floor: of(FLOOR),
      pooledFloor: of(POOLED_FLOOR),
    };
  } finally {
    for (const s of servers) await s.stop();
  }
}

const us = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(0));

/**
 * The goal's verdict, to three places: a ratio printed as 0.85× may be 0.848×, which misses it. Judged
 * on req/s, as the goal is written, with the CPU-time ratio beside it.
 */
function judge(rows: Awaited<ReturnType<typeof measure>>[]): string {
  const one = rows.find((r) => r.label.startsWith('one core'));
  const all = rows.find((r) => !r.label.startsWith('one core'));
  const parts: string[] = [];
  if (one) {
    const wall = one.gh.rps / one.raw.ops;
    const cpu = one.raw.cpuUsPerOp / one.gh.cpuUsPerRequest;
    parts.push(
      `Goal (issue 3): gatehouse on one core ${wall.toFixed(3)}× the raw ceiling (${wall >= GOAL ? 'met' : 'NOT met'}; goal ${GOAL}×), ${Number.isNaN(cpu) ? 'CPU n/a' : `${cpu.toFixed(3)}× read from CPU time`}.`,
    );
    if (all) {
      parts.push(
        `Unpinned on ${cores} cores gatehouse serves ${(all.gh.rps / one.gh.rps).toFixed(2)}× its one-core rate (the raw ceiling ${(all.raw.ops / one.raw.ops).toFixed(2)}×).`,
      );
    }
  }
  return parts.length > 0
    ? parts.join(' ')
    : 'Goal (issue 3) not judged: no one-core run (taskset or a second core missing).';
}

/** Writes the report section for the rows measured so far (after each row: a later failure keeps them). */
function write(rows: Awaited<ReturnType<typeof measure>>[]): string {
  const lines = [
    '## Token endpoint (`POST /oauth/token`, RS256, client_secret_basic, one API)',
    '',
    `autocannon, ${CONNECTIONS} connections; every subject once in each of ${ROUNDS} interleaved rounds of ${SECONDS} s (order rotating, after a warm-up of the same length), medians shown; the load generator runs on core 1 when the servers are pinned to core 0.`,
    "The raw ceiling is `crypto.sign` of a JWT-sized RS256 input in a loop (one process per measured core), no HTTP at all. `node:http + sign` is a bare Node HTTP server that only signs (bench/peers/http-sign-server.mjs): the floor HTTP in Node costs any server; `pooled sign` is the same server signing on libuv's thread pool, as gatehouse does.",
    'Goal: gatehouse ≥ 0.85× the raw ceiling on one core; oidc-provider reaches about half of it.',
    '',
    '| cores | raw crypto.sign/s | gatehouse req/s | oidc-provider req/s | node:http + sign req/s | node:http + pooled sign req/s | gatehouse ÷ raw | oidc-provider ÷ raw | node:http + sign ÷ raw | node:http + pooled sign ÷ raw | gatehouse ÷ oidc-provider | gatehouse p99 ms | non-2xx (gh / op) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.raw.ops.toFixed(0)} | ${r.gh.rps.toFixed(0)} | ${r.op.rps.toFixed(0)} | ${r.floor.rps.toFixed(0)} | ${r.pooledFloor.rps.toFixed(0)} | ${ratio(r.gh.rps, r.raw.ops)} | ${ratio(r.op.rps, r.raw.ops)} | ${ratio(r.floor.rps, r.raw.ops)} | ${ratio(r.pooledFloor.rps, r.raw.ops)} | ${ratio(r.gh.rps, r.op.rps)} | ${r.gh.p99} | ${r.gh.non2xx} / ${r.op.non2xx} |`,
    ),
    '',
    "CPU time per request of each server process (all threads, from /proc), against the CPU time of one raw signature: the same ratio, read from the work done rather than the wall clock, so other processes on the machine disturb it far less. On a busy machine, read this table: gatehouse and oidc-provider sign on libuv's thread pool, and several runnable threads win a process a larger share of a contended core than the one-thread raw loop gets, which flatters their req/s.",
    '',
    '| cores | raw µs per signature | gatehouse µs/req | oidc-provider µs/req | node:http + sign µs/req | node:http + pooled sign µs/req | gatehouse (CPU) | oidc-provider (CPU) | node:http + sign (CPU) | node:http + pooled sign (CPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${us(r.raw.cpuUsPerOp)} | ${us(r.gh.cpuUsPerRequest)} | ${us(r.op.cpuUsPerRequest)} | ${us(r.floor.cpuUsPerRequest)} | ${us(r.pooledFloor.cpuUsPerRequest)} | ${ratio(r.raw.cpuUsPerOp, r.gh.cpuUsPerRequest)} | ${ratio(r.raw.cpuUsPerOp, r.op.cpuUsPerRequest)} | ${ratio(r.raw.cpuUsPerOp, r.floor.cpuUsPerRequest)} | ${ratio(r.raw.cpuUsPerOp, r.pooledFloor.cpuUsPerRequest)} |`,
    ),
  ];
  lines.push('', judge(rows));
  if (!hasTaskset) lines.push('', '_taskset was not available: every run was unpinned._');
  const section = lines.join('\n');
  mkdirSync('bench/.results', { recursive: true });
  writeFileSync('bench/.results/token.md', `${section}\n`);
  return section;
}

const rows: Awaited<ReturnType<typeof measure>>[] = [];
if (hasTaskset && cores >= 2) {
  rows.push(await measure('one core (taskset -c 0)', '0'));
  write(rows);
}
rows.push(await measure(`all ${cores} cores, unpinned`, undefined));
console.log(write(rows));
