/**
 * Global test setup: services that several suites share start here (see test/services/), and the
 * secret scan of the whole run keeps its tally here (packages/server/src/testing/secret-scan-run.ts):
 * a run directory for every test process, summed up at the end. A leak fails the suite that made
 * it; a spawned process that no suite scanned fails the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DIR_VARIABLE, summarizeRun } from '../packages/server/src/testing/secret-scan-run.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const runDir = await mkdtemp(join(tmpdir(), 'gatehouse-secret-scan-'));
  // Test processes are forked after this, with this environment.
  process.env[RUN_DIR_VARIABLE] = runDir;
  return async () => {
    const run = summarizeRun(runDir);
    await rm(runDir, { recursive: true, force: true });
    console.log(
      `secret scan: ${run.servers} test servers and ${run.spawnedScans} scans of spawned processes ` +
        `searched ${run.places} places in ${(run.ms / 1000).toFixed(1)} s (a leak fails its suite)`,
    );
    if (run.unscanned.length > 0) {
      console.error(
        `secret scan: spawned processes never scanned (the suite needs afterAll(assertSpawnedOutputClean)): ${[...new Set(run.unscanned)].join(', ')}`,
      );
      // vitest ignores an error thrown by a global teardown; the exit code is what fails the run.
      process.exitCode = 1;
    }
  };
}
