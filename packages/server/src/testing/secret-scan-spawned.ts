/**
 * The secret scan of the processes an e2e suite spawns (`gatehouse serve`, the CLI,
 * `gatehouse-contacts`, `npm start` and `npm run demo`, nginx): their stdout and stderr, and the
 * store of a spawned gatehouse server, are scanned for every secret and token the suite obtained
 * (issue 11). One ledger per test process, shared with every `startTestServer` of that process, so
 * a CLI's output is also scanned for the tokens the in-process server issued.
 *
 * ```ts
 * const child = spawn(process.execPath, [BIN, 'serve'], { env });
 * const watched = watchSpawnedProcess('gatehouse serve', child, { gatehouseEnv: env });
 * watched.allow(generatedSecret); // its one-time display
 * const res = await fetchRecordingSecrets(`${url}/oauth/token`, { ... }); // records access_token
 * afterAll(() => assertSpawnedOutputClean());
 * ```
 */
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../config.ts';
import { createSecretLedger, describeLeaks, type Place } from './secret-scan.ts';
import { clearPending, notePending, noteScan } from './secret-scan-run.ts';
import { addStoreKeys, readStorePlaces, type StoreLocation, storeLocationOf } from './secret-scan-store.ts';

interface Watched {
  name: string;
  stdout: string[];
  stderr: string[];
  allowed: Set<string>;
}

const ledger = createSecretLedger();
let watched: Watched[] = [];
let extra: Place[] = [];
const stores = new Map<string, StoreLocation>();
const harvests = new Set<Promise<void>>();

/** Records a secret or token this test process obtained (a test server also records its own here). */
export function recordSecret(kind: string, value: string | undefined): void {
  ledger.add(kind, value);
}

/** Records `client_secret` and `access_token` of a JSON answer this test process received. */
export function recordSecretsFromAnswer(body: unknown): void {
  ledger.addFromAnswer(body);
}

/** `fetch` that records the `client_secret` and `access_token` of every JSON answer it receives. */
export const fetchRecordingSecrets: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    const harvest = res
      .clone()
      .json()
      .then(recordSecretsFromAnswer, () => {})
      .finally(() => harvests.delete(harvest));
    harvests.add(harvest);
  }
  return res;
};

/** A watched process. */
export interface WatchedProcess {
  /** `value` may show in this process's output: it is its one-time display (a new secret, a token printed). */
  allow(value: string | undefined): void;
}

/**
 * Keeps everything `child` writes to stdout and stderr for `assertSpawnedOutputClean`. With
 * `gatehouseEnv` (the environment a `gatehouse serve` was started with), its store is scanned too
 * and its key-encryption key and signing private keys are looked for everywhere.
 */
export function watchSpawnedProcess(
  name: string,
  child: ChildProcess,
  opts: { gatehouseEnv?: Record<string, string | undefined> } = {},
): WatchedProcess {
  const entry: Watched = { name, stdout: [], stderr: [], allowed: new Set() };
  watched.push(entry);
  notePending(name);
  child.stdout?.on('data', (chunk: Buffer | string) => entry.stdout.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer | string) => entry.stderr.push(chunk.toString()));
  if (opts.gatehouseEnv !== undefined) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.gatehouseEnv))
      if (key.startsWith('GATEHOUSE_') && value !== undefined) env[key] = value;
    const location = storeLocationOf(loadConfig(env));
    // Instances sharing a store (each with its own data dir) are one store to read.
    const { store, databaseUrl, dynamodbTable, dynamodbEndpoint, kek } = location;
    const where = store === 'sqlite' ? location.dataDir : [databaseUrl, dynamodbTable, dynamodbEndpoint];
    stores.set(JSON.stringify([store, where, kek]), location);
  }
  return {
    allow(value) {
      if (value !== undefined && value !== '') entry.allowed.add(value);
    },
  };
}

/** Adds something a spawned process wrote elsewhere (nginx's log files) to the next scan. */
export function addSpawnedOutput(place: string, text: string): void {
  extra.push({ name: place, text });
}

/**
 * Scans the output of every process watched since the last call (and the stores of watched
 * gatehouse servers) for every secret recorded in this test process; throws naming kind and
 * place, never the secret. Call it once the processes have stopped, before their stores go.
 */
export async function assertSpawnedOutputClean(): Promise<void> {
  const started = performance.now();
  await Promise.all([...harvests]);
  const places: Place[] = [...extra];
  for (const entry of watched) {
    for (const stream of ['stdout', 'stderr'] as const) {
      let text = entry[stream].join('');
      for (const value of entry.allowed) text = text.split(value).join('');
      places.push({ name: `the ${stream} of ${entry.name}`, text });
    }
  }
  for (const location of stores.values()) {
    await addStoreKeys(ledger, location);
    places.push(...(await readStorePlaces(location)));
  }
  const count = watched.length;
  watched = [];
  extra = [];
  stores.clear();
  const leaks = ledger.findLeaks(places);
  const ms = Math.round(performance.now() - started);
  noteScan({
    what: 'spawned processes',
    secrets: ledger.size,
    places: places.length,
    ms,
  });
  clearPending();
  if (leaks.length > 0) throw new Error(`${describeLeaks(leaks)} (${count} spawned processes scanned)`);
}
