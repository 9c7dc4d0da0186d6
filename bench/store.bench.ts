/**
 * Store back-ends (issue 7), in one run: two `gatehouse serve` per store (SQLite, PostgreSQL on
 * 127.0.0.1:5432, DynamoDB Local), one over 10 registered clients and one over 100,000 (seeded
 * straight through the store's `importRecords`, not over HTTP), all running at once.
 *
 * 1. Token endpoint throughput on each store relative to SQLite, and with 100,000 clients relative
 *    to 10 on the same store (it should be flat): interleaved rounds over the six servers, so the
 *    noise of the shared machine falls on all of them alike.
 * 2. Management API list latency (`GET /api/v2/clients`, 50 a page) with 100,000 clients: the first
 *    page, page 1,000 (offset 50,000), and the first page with `include_totals`.
 *
 * Servers and databases are unpinned (the databases need CPU too): read the ratios. About 4 minutes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStoreTable } from '../packages/server/src/store/dynamodb-table.ts';
import { dynamoDbConnection, openStore } from '../packages/server/src/store/open-store.ts';
import type { ClientRecord } from '../packages/server/src/store/store.ts';
import { startDynamoDbLocal } from '../test/services/dynamodb-local.ts';
import { createTestDatabase } from '../test/services/postgres.ts';
import { basic, provisionBenchClient } from './lib/gatehouse.ts';
import { type LoadResult, ratio, runLoad } from './lib/load.ts';
import { freePort, spawnUntilReady } from './lib/processes.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
const WARM_UP_SECONDS = 3;
/** A list request that takes longer is reported as such, not waited for. */
const LIST_TIMEOUT_MS = 90_000;
const SQL_LIST_ROUNDS = 10;
const DYNAMODB_LIST_ROUNDS = 1;
const TOKEN_ROUNDS = 2;
const FEW_CLIENTS = 10;
const MANY_CLIENTS = Number(process.env.BENCH_STORE_CLIENTS ?? 100_000);
const node = process.execPath;

type StoreEnv = Record<string, string>;

/** `count` client records as the Management API would store them (one hashed secret each). */
function clientRecords(count: number, from: number): ClientRecord[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    clientId: `bench${String(from + i).padStart(7, '0')}${randomBytes(4).toString('hex')}`,
    name: `bench client ${from + i}`,
    description: '',
    appType: 'non_interactive' as const,
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    secrets: [
      {
        id: randomBytes(8).toString('hex'),
        hash: randomBytes(32).toString('hex'),
        createdAt: now,
        expiresAt: null,
      },
    ],
    credentials: [],
    metadata: { team: 'bench' },
    disabled: false,
    createdAt: now + from + i,
    updatedAt: now + from + i,
  }));
}

/** Adds `count` clients through the store directly, a few batches at a time. */
async function seedClients(
  config: Parameters<typeof openStore>[0],
  count: number,
  from: number,
): Promise<number> {
  const store = await openStore(config);
  const started = performance.now();
  try {
    await store.migrate();
    const batch = config.store === 'dynamodb' ? 500 : 2000;
    const parallel = config.store === 'dynamodb' ? 12 : 2;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const start = next;
        next += batch;
        await store.importRecords('client', clientRecords(Math.min(batch, count - start), from + start));
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    if (config.store === 'postgres') {
      // What autovacuum would do within a minute of a bulk load: done now, so that it does not run
      // in the middle of a measurement (a long-lived installation's tables are vacuumed and analysed).
      const { Client } = await import('pg');
      const pg = new Client({ connectionString: config.databaseUrl });
      await pg.connect();
      await pg.query('VACUUM ANALYZE clients').finally(() => pg.end());
    }
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

/** One list request's outcome: its time, or why it failed (status, or the client-side time limit). */
type ListTiming = { p50: number; p90: number; failed?: string };

/** Median and p90 of `rounds` sequential GETs, in ms (a warm-up first when asked); stops at the first failure. */
async function latency(
  url: string,
  headers: Record<string, string>,
  rounds: number,
  warmUp: boolean,
): Promise<ListTiming> {
  const times: number[] = [];
  for (let i = warmUp ? -1 : 0; i < rounds; i++) {
    const t = performance.now();
    let status: number | string;
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
      await r.arrayBuffer();
      status = r.status;
    } catch {
      status = `no answer within ${LIST_TIMEOUT_MS / 1000} s`;
    }
    const elapsed = performance.now() - t;
    if (status !== 200)
      return { p50: Number.NaN, p90: Number.NaN, failed: `${status} after ${(elapsed / 1000).toFixed(0)} s` };
    if (i >= 0) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length / 2)]!,
    p90: times[Math.min(times.length - 1, Math.floor(times.length * 0.9))]!,
  };
}

/** One `gatehouse serve` on one store, with an API, a client granted it, and `clients` registered clients. */
interface BenchServer {
  name: string;
  clients: number;
  seedSeconds: number;
  tokenLoad(seconds: number): Promise<LoadResult>;
  list(query: string, rounds: number, warmUp: boolean): Promise<ListTiming>;
  stop(): Promise<void>;
}

async function startBenchServer(name: string, storeEnv: StoreEnv, clients: number): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'gh-bench-store-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  const admin = { id: 'bench-admin', secret: 'bench-admin-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
  const config = {
    store: (storeEnv.GATEHOUSE_STORE ?? 'sqlite') as 'sqlite' | 'postgres' | 'dynamodb',
    dataDir,
    databaseUrl: storeEnv.GATEHOUSE_DATABASE_URL,
    dynamodbTable: storeEnv.GATEHOUSE_DYNAMODB_TABLE ?? 'gatehouse',
    dynamodbEndpoint: storeEnv.GATEHOUSE_DYNAMODB_ENDPOINT,
  };
  const server = await spawnUntilReady(node, ['packages/server/bin/gatehouse.mjs', 'serve'], {
    waitForUrl: `${issuer}healthz`,
    timeoutMs: 60_000,
    env: {
      ...storeEnv,
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_ADMIN_CLIENT_ID: admin.id,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.secret,
      GATEHOUSE_LOG_LEVEL: 'warn',
      // A DynamoDB Local list that counts 100,000 keys takes longer than the default 30 s limit.
      GATEHOUSE_REQUEST_TIMEOUT_SECONDS: '120',
    },
  });
  const stop = async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const client = await provisionBenchClient(issuer, admin, 'https://contacts.bench/');
    // The admin and the bench client are two of them.
    console.log(`${name}: seeding ${clients - 2} clients through the store…`);
    const seedSeconds = await seedClients(config, clients - 2, 0);
    return {
      name,
      clients,
      seedSeconds,
      tokenLoad: (seconds) =>
        runLoad({
          url: `${issuer}oauth/token`,
          method: 'POST',
          headers: {
            authorization: basic(client.clientId, client.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `grant_type=client_credentials&audience=${encodeURIComponent(client.audience)}`,
          connections: CONNECTIONS,
          seconds,
        }),
      list: (query, rounds, warmUp) =>
        latency(
          `${issuer}api/v2/clients?per_page=50&${query}`,
          { authorization: `Bearer ${client.managementToken}` },
          rounds,
          warmUp,
        ),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface StoreResult {
  name: string;
  few: LoadResult;
  many: LoadResult;
  seedSeconds: number;
  firstPage: ListTiming;
  firstPageNoTotals: ListTiming;
  deepPage: ListTiming;
}

/** The best of `rounds` token loads of each server, interleaved so that machine noise spreads evenly. */
async function interleavedLoads(servers: BenchServer[]): Promise<Map<BenchServer, LoadResult>> {
  const best = new Map<BenchServer, LoadResult>();
  for (const s of servers) await s.tokenLoad(WARM_UP_SECONDS); // warm-up, discarded (DynamoDB Local's JVM needs it most)
  for (let round = 0; round < TOKEN_ROUNDS; round++) {
    for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
      console.log(`token endpoint, round ${round + 1}/${TOKEN_ROUNDS}: ${s.name}, ${s.clients} clients…`);
      const r = await s.tokenLoad(SECONDS);
      const seen = best.get(s);
      if (!seen || r.rps > seen.rps) best.set(s, r);
    }
  }
  return best;
}

const stores: { name: string; env: StoreEnv[]; listRounds: number }[] = [];
const cleanups: (() => Promise<void>)[] = [];
const servers: { few: BenchServer; many: BenchServer; listRounds: number }[] = [];
try {
  const [pgFew, pgMany] = await Promise.all([
    createTestDatabase({ prefix: 'gatehouse_bench' }),
    createTestDatabase({ prefix: 'gatehouse_bench' }),
  ]);
  cleanups.push(
    () => pgFew.drop(),
    () => pgMany.drop(),
  );
  const ddb = await startDynamoDbLocal();
  cleanups.push(() => ddb.stop());
  const ddbClient = new DynamoDBClient(dynamoDbConnection(ddb.endpoint));
  await createStoreTable({ table: 'gatehouse_bench_few', client: ddbClient });
  await createStoreTable({ table: 'gatehouse_bench_many', client: ddbClient });
  ddbClient.destroy();
  const ddbEnv = (table: string) => ({
    GATEHOUSE_STORE: 'dynamodb',
    GATEHOUSE_DYNAMODB_TABLE: table,
    GATEHOUSE_DYNAMODB_ENDPOINT: ddb.endpoint,
  });
  stores.push(
    {
      name: 'SQLite',
      env: [{ GATEHOUSE_STORE: 'sqlite' }, { GATEHOUSE_STORE: 'sqlite' }],
      listRounds: SQL_LIST_ROUNDS,
    },
    {
      name: 'PostgreSQL',
      env: [
        { GATEHOUSE_STORE: 'postgres', GATEHOUSE_DATABASE_URL: pgFew.connectionString },
        { GATEHOUSE_STORE: 'postgres', GATEHOUSE_DATABASE_URL: pgMany.connectionString },
      ],
      listRounds: SQL_LIST_ROUNDS,
    },
    {
      name: 'DynamoDB Local',
      env: [ddbEnv('gatehouse_bench_few'), ddbEnv('gatehouse_bench_many')],
      listRounds: DYNAMODB_LIST_ROUNDS,
    },
  );
  for (const store of stores) {
    const few = await startBenchServer(store.name, store.env[0]!, FEW_CLIENTS);
    cleanups.unshift(few.stop);
    const many = await startBenchServer(store.name, store.env[1]!, MANY_CLIENTS);
    cleanups.unshift(many.stop);
    console.log(`${store.name}: ${MANY_CLIENTS} clients seeded in ${many.seedSeconds.toFixed(1)} s`);
    servers.push({ few, many, listRounds: store.listRounds });
  }

  const loads = await interleavedLoads(servers.flatMap((s) => [s.few, s.many]));
  const results: StoreResult[] = [];
  for (const { few, many, listRounds } of servers) {
    console.log(`${many.name}: list latency with ${MANY_CLIENTS} clients…`);
    // Cheapest first: a list that overruns the time limit keeps the store busy after it is given up.
    const firstPageNoTotals = await many.list('page=0', listRounds, true);
    const deepPage = await many.list('page=1000', listRounds, false);
    const firstPage = await many.list('page=0&include_totals=true', listRounds, false);
    results.push({
      name: many.name,
      few: loads.get(few)!,
      many: loads.get(many)!,
      seedSeconds: many.seedSeconds,
      firstPage,
      firstPageNoTotals,
      deepPage,
    });
  }
  writeSection(results);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
}

function writeSection(results: StoreResult[]): void {
  const sqlite = results[0]!;
  const ms = (n: number) => n.toFixed(n < 10 ? 1 : 0);
  const cell = (t: ListTiming) => (t.failed ? `failed: ${t.failed}` : ms(t.p50));
  const cellRatio = (t: ListTiming, base: ListTiming) =>
    t.failed || base.failed ? 'n/a' : ratio(t.p50, base.p50);
  const many = MANY_CLIENTS.toLocaleString('en-US');
  const lines = [
    '## Store back-ends (token endpoint and Management API lists on SQLite, PostgreSQL, DynamoDB Local)',
    '',
    'Two `gatehouse serve` per store, all running at once: one whose store holds 10 clients, one whose store holds',
    `${many} (seeded straight through the store's \`importRecords\`, not HTTP; PostgreSQL then \`VACUUM ANALYZE\`d). SQLite file, PostgreSQL on 127.0.0.1:5432`,
    '(TCP loopback), DynamoDB Local (Java, in memory, loopback).',
    `Token endpoint: autocannon, ${CONNECTIONS} connections, RS256, client_secret_basic, one API, always the same client;`,
    `${WARM_UP_SECONDS} s warm-up each, then ${TOKEN_ROUNDS} interleaved rounds of ${SECONDS} s over the six servers (best round reported),`,
    'so that the noise of the shared machine falls on every server alike.',
    `Lists (store with ${many} clients): \`GET /api/v2/clients?per_page=50\`, sequential, after one warm-up; page 1,000 is offset 50,000.`,
    `SQLite and PostgreSQL: ${SQL_LIST_ROUNDS} requests each; DynamoDB Local: ${DYNAMODB_LIST_ROUNDS}; a request taking over ${LIST_TIMEOUT_MS / 1000} s is reported, not waited for.`,
    'Nothing is pinned: servers, databases and load generator share the machine, so read the ratios. DynamoDB Local is not',
    'DynamoDB: it runs on SQLite behind a Java HTTP server (a GetItem takes about 3 ms; DynamoDB in-region single-digit ms).',
    `Goal: token throughput flat (within 10%) from 10 to ${many} clients.`,
    '',
    `| store | token req/s, 10 clients | ÷ SQLite | p99 ms | token req/s, ${many} clients | ÷ same store, 10 clients | non-2xx |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.few.rps.toFixed(0)} | ${ratio(r.few.rps, sqlite.few.rps)} | ${r.few.latencyP99} | ${r.many.rps.toFixed(0)} | ${ratio(r.many.rps, r.few.rps)} | ${r.few.non2xx + r.many.non2xx} |`,
    ),
    '',
    `| store (${many} clients) | first page, p50 ms | ÷ SQLite | page 1,000, p50 ms | ÷ SQLite | first page + \`include_totals\`, p50 ms | p90 ms | ÷ SQLite | seeding s |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${cell(r.firstPageNoTotals)} | ${cellRatio(r.firstPageNoTotals, sqlite.firstPageNoTotals)} | ${cell(r.deepPage)} | ${cellRatio(r.deepPage, sqlite.deepPage)} | ${cell(r.firstPage)} | ${r.firstPage.failed ? '' : ms(r.firstPage.p90)} | ${cellRatio(r.firstPage, sqlite.firstPage)} | ${r.seedSeconds.toFixed(0)} |`,
    ),
    '',
    `Flat within 10% from 10 to ${many} clients: ${results
      .map(
        (r) =>
          `${r.name} ${Math.abs(r.many.rps / r.few.rps - 1) <= 0.1 ? 'yes' : 'NO'} (${ratio(r.many.rps, r.few.rps)})`,
      )
      .join(', ')}.`,
    '',
    'Reading it: every token request reads the client, the API and the grant from the store by key (no cache on PostgreSQL',
    'or DynamoDB, so a change made through one instance holds on every other at once); a PostgreSQL round trip costs about',
    'as much as the RS256 signature, a DynamoDB Local GetItem several times more. Lists page by offset: page 1,000 reads the',
    '50,050 keys before it, and on DynamoDB `include_totals` reads every key of the index to count them, which DynamoDB',
    'Local (about 1 s per 4,000 keys here) cannot do within the time limit; DynamoDB itself reads about 10 MB of keys for',
    'it (~1,250 read units). The Management API counts only when `include_totals=true` is asked for.',
  ];
  const section = lines.join('\n');
  mkdirSync('bench/.results', { recursive: true });
  writeFileSync('bench/.results/store.md', `${section}\n`);
  console.log(section);
}
process.exit(0);
