/**
 * The secret scan across the whole test run: `test/global-setup.ts` makes a run directory and names
 * it in `SECRET_SCAN_RUN_DIR` for every test process. Each scan (a test server at `close()`, a
 * suite's spawned processes in its `afterAll`) writes one line of counts there, never a secret
 * (a leak fails the suite that found it, so the tally needs none); each spawned process being
 * watched leaves a mark until a scan covers it. At the end of the run the global teardown sums the
 * counts and fails the run if a watched process was never scanned.
 * Without the variable (a file run outside vitest's config) nothing is written.
 */
import { appendFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The variable that names the run directory. */
export const RUN_DIR_VARIABLE = 'SECRET_SCAN_RUN_DIR';

/** What one scan looked at. */
export interface ScanCounts {
  what: 'test server' | 'spawned processes';
  secrets: number;
  places: number;
  /** Time the scan took (reading the store included). */
  ms: number;
}

// Test tooling, not the application: the one place the scan reads the environment.
const runDir = (): string | undefined => process.env[RUN_DIR_VARIABLE] || undefined;

/** Adds a scan's counts to the run's tally. */
export function noteScan(counts: ScanCounts): void {
  const dir = runDir();
  if (dir !== undefined)
    appendFileSync(join(dir, `scans-${process.pid}.jsonl`), `${JSON.stringify(counts)}\n`);
}

/** Marks a spawned process as watched and not yet scanned. */
export function notePending(name: string): void {
  const dir = runDir();
  if (dir !== undefined) appendFileSync(join(dir, `pending-${process.pid}`), `${name}\n`);
}

/** Every watched process of this test process has been scanned. */
export function clearPending(): void {
  const dir = runDir();
  if (dir !== undefined) rmSync(join(dir, `pending-${process.pid}`), { force: true });
}

/** The run's tally: scans by kind, and the watched processes no scan covered. */
export interface RunSummary {
  servers: number;
  spawnedScans: number;
  places: number;
  secrets: number;
  ms: number;
  unscanned: string[];
}

/** Reads the tally the test processes left in `dir`. */
export function summarizeRun(dir: string): RunSummary {
  const summary: RunSummary = {
    servers: 0,
    spawnedScans: 0,
    places: 0,
    secrets: 0,
    ms: 0,
    unscanned: [],
  };
  for (const name of readdirSync(dir)) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean);
    if (name.startsWith('pending-')) summary.unscanned.push(...lines);
    if (!name.startsWith('scans-')) continue;
    for (const line of lines) {
      const counts = JSON.parse(line) as ScanCounts;
      if (counts.what === 'test server') summary.servers++;
      else summary.spawnedScans++;
      summary.places += counts.places;
      summary.secrets += counts.secrets;
      summary.ms += counts.ms;
    }
  }
  return summary;
}
