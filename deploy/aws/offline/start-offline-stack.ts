/**
 * The serverless system on one machine: DynamoDB Local (in memory) with both tables created,
 * then `serverless offline start --stage offline` on deploy/aws/serverless.yml, which bundles
 * each handler with serverless-esbuild and serves the HTTP API (authorization server) and the
 * REST API (contacts, behind the TOKEN authorizer) as API Gateway would. Used by `npm run offline`
 * and by the end-to-end test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStoreTable } from '../../../packages/server/src/store/dynamodb-table.ts';
import { createContactsTable } from '../../../services/contacts/src/store/dynamodb-table.ts';
import { startDynamoDbLocal } from '../../../test/services/dynamodb-local.ts';

/** The service directory (serverless.yml). */
const SERVICE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The stage `params.offline` configures; the REST API serves under `/<stage>`. */
export const OFFLINE_STAGE = 'offline';
/** Table names of `params.offline` in serverless.yml. */
export const OFFLINE_TABLES = {
  contacts: 'gatehouse-offline-contacts',
  gatehouse: 'gatehouse-offline',
} as const;

/** Options of `startOfflineStack`. */
export interface OfflineStackOptions {
  /** API port (default 3000), Lambda invoke port (default 3002). */
  readonly httpPort?: number;
  readonly lambdaPort?: number;
  /** The bootstrap admin; generated when absent. */
  readonly admin?: { readonly clientId: string; readonly clientSecret: string };
  /** serverless-esbuild's work folder, relative to deploy/aws (tests give each run its own). */
  readonly esbuildWorkFolder?: string;
  /** Where serverless' own output goes (default: kept in memory for `output()`). */
  readonly onOutput?: (chunk: string) => void;
}

/** A running offline stack. */
export interface OfflineStack {
  /** The authorization server's base URL (HTTP API), no trailing slash. */
  readonly authorizationServerUrl: string;
  /** Its issuer, `${authorizationServerUrl}/`. */
  readonly issuer: string;
  /** The contacts API's stage URL (REST API), e.g. `http://127.0.0.1:3000/offline`. */
  readonly contactsUrl: string;
  readonly admin: { readonly clientId: string; readonly clientSecret: string };
  readonly dynamodbEndpoint: string;
  /** What serverless offline printed so far. */
  output(): string;
  /** Stops serverless offline and DynamoDB Local, and removes the build folder. */
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and serverless offline; resolves once the authorization server answers. */
export async function startOfflineStack(options: OfflineStackOptions = {}): Promise<OfflineStack> {
  const httpPort = options.httpPort ?? 3000;
  const lambdaPort = options.lambdaPort ?? 3002;
  const admin = options.admin ?? {
    clientId: `offline-admin-${randomBytes(4).toString('hex')}`,
    clientSecret: randomBytes(32).toString('base64url'),
  };
  const workFolder = options.esbuildWorkFolder ?? '.esbuild';
  const dynamo = await startDynamoDbLocal();
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      // serverless offline runs Lambda workers and a hapi server: stop the whole process group.
      signalGroup(child, 'SIGTERM');
      const force = setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    }
    await dynamo.stop();
    await rm(join(SERVICE_DIR, workFolder), { recursive: true, force: true });
  };
  try {
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createContactsTable(client, OFFLINE_TABLES.contacts);
    await createStoreTable({ table: OFFLINE_TABLES.gatehouse, client });
    client.destroy();

    const base = `http://127.0.0.1:${httpPort}`;
    const serverless = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
    child = spawn(process.execPath, [serverless, 'offline', 'start', '--stage', OFFLINE_STAGE], {
      cwd: SERVICE_DIR,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        GATEHOUSE_ISSUER: `${base}/`,
        GATEHOUSE_KEK: randomBytes(32).toString('base64url'),
        GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        OFFLINE_HTTP_PORT: String(httpPort),
        OFFLINE_LAMBDA_PORT: String(lambdaPort),
        GATEHOUSE_ESBUILD_WORK_FOLDER: workFolder,
        SLS_TELEMETRY_DISABLED: '1',
      },
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-200_000);
      options.onOutput?.(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitForServer(`${base}/.well-known/openid-configuration`, child, () => output);
    return {
      authorizationServerUrl: base,
      issuer: `${base}/`,
      contactsUrl: `${base}/${OFFLINE_STAGE}`,
      admin,
      dynamodbEndpoint: dynamo.endpoint,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Polls until the URL answers 200 (the first call also pays the Lambda's cold start). */
async function waitForServer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`serverless offline exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const status = await fetch(url, { signal: AbortSignal.timeout(15_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 120 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
