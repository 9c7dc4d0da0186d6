/**
 * A real gatehouse server for tests in any package: SQLite file in a temporary data dir, port 0 on
 * 127.0.0.1, log lines captured in memory, and helpers that go through the public HTTP API.
 *
 * ```ts
 * import { startTestServer } from '@gatehouse/server/testing';
 * const server = await startTestServer();
 * const { audience, clientId, clientSecret } = await server.createApiAndClient({ scopes: ['read:contacts'] });
 * const token = await server.getToken({ clientId, clientSecret, audience });
 * await server.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { startServer } from '../serve.ts';
import { SQLITE_FILE_NAME } from '../store/open-store.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { assertNoLeaks, createSecretLedger, type Place } from './secret-scan.ts';
import { recordAnswers } from './secret-scan-answers.ts';
import { noteScan } from './secret-scan-run.ts';
import { recordSecret } from './secret-scan-spawned.ts';
import { addStoreKeys, readStorePlaces, storeLocationOf } from './secret-scan-store.ts';

export {
  addSpawnedOutput,
  assertSpawnedOutputClean,
  fetchRecordingSecrets,
  recordSecret,
  watchSpawnedProcess,
} from './secret-scan-spawned.ts';

/** Options of `startTestServer`. */
export interface TestServerOptions {
  /** Extra or overriding `GATEHOUSE_*` variables (the process environment is never read). */
  env?: Record<string, string>;
  /** Reuse this data dir (it is then never removed); default: a fresh temporary one. */
  dataDir?: string;
  /** Keep the temporary data dir after `close()` (to inspect it). */
  keepDataDir?: boolean;
  /**
   * Skip the check at `close()` that no secret, token or key of the server (what its answers
   * delivered, its bootstrap secret, KEK and signing private keys) is in its log, in any other
   * answer it gave, or in its store (only for a test that plants one on purpose).
   */
  skipSecretScan?: boolean;
}

/** What `createApiAndClient` sets up. */
export interface ApiAndClientOptions {
  /** API identifier (audience); default a unique `https://api.test/<random>/`. */
  identifier?: string;
  /** Scopes the API defines; default `['read:things', 'write:things']`. */
  scopes?: string[];
  /** Scopes granted to the client; default every scope of the API. */
  grantScopes?: string[];
  signingAlg?: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  /** API token lifetime in seconds. */
  tokenLifetime?: number;
  /** Per-grant token lifetime override. */
  grantTokenLifetime?: number;
  clientName?: string;
}

/** The API, client and grant made by `createApiAndClient`. */
export interface ApiAndClient {
  audience: string;
  apiId: string;
  clientId: string;
  clientSecret: string;
  grantId: string;
}

/** A running test server. */
export interface TestServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Issuer identifier, `${url}/`. */
  issuer: string;
  /** The bootstrap admin client (every Management API scope). */
  admin: { clientId: string; clientSecret: string };
  dataDir: string;
  /** Every log line written so far (JSON text, one per entry). */
  logs: string[];
  /** A Management API token for the admin client (cached until shortly before expiry). */
  managementToken(): Promise<string>;
  /** Calls the Management API (`path` below `/api/v2/`) as the admin; JSON bodies are serialized. */
  management(method: string, path: string, body?: unknown): Promise<Response>;
  /** Creates an API, a client and a grant through the Management API. */
  createApiAndClient(opts?: ApiAndClientOptions): Promise<ApiAndClient>;
  /**
   * Creates a client granted only `scopes` at the Management API (`${issuer}api/v2/`), each
   * creation answered 201; `getToken` takes what it returns.
   */
  createManagementClient(
    scopes: string[],
    name?: string,
  ): Promise<{ clientId: string; clientSecret: string; audience: string }>;
  /** Gets an access token with client_secret_basic; throws with the error body otherwise. */
  getToken(opts: {
    clientId: string;
    clientSecret: string;
    audience: string;
    scope?: string;
  }): Promise<string>;
  /** Stops the server and starts it again on the same port, issuer, data dir and admin. */
  restart(): Promise<void>;
  /** Stops the server; removes the temporary data dir unless kept. */
  close(): Promise<void>;
}

/**
 * Ages the `next` signing keys in a test server's SQLite store as if published `ms` ago (default
 * 20 minutes, longer than the 10-minute publication lead), as they are on a server that has run a
 * while: a rotation then starts the promoted key at once.
 */
export async function ageNextSigningKeys(
  server: Pick<TestServer, 'dataDir'>,
  ms = 20 * 60_000,
): Promise<void> {
  const store = createSqliteStore({ file: join(server.dataDir, SQLITE_FILE_NAME) });
  try {
    await ageNextKeysIn(store, ms);
  } finally {
    await store.close();
  }
}

/** Ages the `next` signing keys of `store` as if published `ms` ago (default 20 minutes). */
export async function ageNextKeysIn(store: Store, ms = 20 * 60_000): Promise<void> {
  for (const key of await store.listSigningKeys())
    if (key.status === 'next') await store.updateSigningKey(key.kid, { createdAt: Date.now() - ms });
}

/** Starts a test server. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'gatehouse-test-')));
  const logs: string[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') logs.push(line);
    },
  };
  const admin = {
    clientId: opts.env?.GATEHOUSE_ADMIN_CLIENT_ID ?? `test-admin-${randomBytes(6).toString('hex')}`,
    clientSecret: opts.env?.GATEHOUSE_ADMIN_CLIENT_SECRET ?? randomBytes(32).toString('base64url'),
  };
  const baseEnv: Record<string, string> = {
    GATEHOUSE_PORT: '0',
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_LOG_LEVEL: 'info',
    // Suites send many deliberate failures from 127.0.0.1; the lockout is off unless a test turns it
    // on (test/e2e/hardening-lockout.test.ts runs with the production defaults).
    GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '0',
    GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '0',
    GATEHOUSE_LOCKOUT_CLIENT_FAILURES: '0',
    ...opts.env,
    GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
    GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
  };

  const config = loadConfig(baseEnv);
  let running = await startServer(config, { logDestination: destination });
  // Secrets are shared with the scan of the processes this test file spawns (secret-scan-spawned.ts).
  const ledger = createSecretLedger(recordSecret);
  ledger.add('bootstrap admin secret', admin.clientSecret);
  const answers = recordAnswers({ port: Number(new URL(running.url).port), ledger });

  /** The secret scan at close: log lines, answers and store, for every secret, token and key. */
  const scan = async () => {
    const started = performance.now();
    const location = storeLocationOf(config);
    let places: Place[];
    try {
      await addStoreKeys(ledger, location);
      places = [
        ...logs.map((text, i): Place => ({ name: `the server log, line ${i + 1}`, text })),
        ...answers.places(),
        ...(await readStorePlaces(location)),
      ];
    } catch (error) {
      throw new Error(
        `the secret scan could not read the ${location.store} store at close (${(error as Error).message}): close the test server before its store goes`,
      );
    }
    const leaks = [...answers.earlyLeaks, ...ledger.findLeaks(places)];
    const ms = Math.round(performance.now() - started);
    noteScan({ what: 'test server', secrets: ledger.size, places: places.length, ms });
    assertNoLeaks(leaks);
  };
  let cached: { token: string; until: number } | undefined;

  const getToken: TestServer['getToken'] = async ({ clientId, clientSecret, audience, scope }) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', audience });
    if (scope !== undefined) form.set('scope', scope);
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      'base64',
    );
    const res = await fetch(`${running.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new Error(`token request failed with ${res.status}: ${JSON.stringify(body)}`);
    }
    ledger.add('access token', body.access_token);
    return body.access_token;
  };

  const server: TestServer = {
    url: running.url,
    issuer: running.issuer,
    admin,
    dataDir,
    logs,
    async managementToken() {
      if (cached !== undefined && cached.until > Date.now()) return cached.token;
      const token = await getToken({ ...admin, audience: `${running.issuer}api/v2/` });
      cached = { token, until: Date.now() + 30 * 60 * 1000 };
      return token;
    },
    async management(method, path, body) {
      const send = async () => {
        const headers: Record<string, string> = { authorization: `Bearer ${await server.managementToken()}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        return fetch(`${running.url}/api/v2/${path.replace(/^\//, '')}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      };
      const res = await send();
      if (res.status !== 401) return res;
      // The cached token stopped working (its signing key was revoked, or it was cut off): once more with a new one.
      cached = undefined;
      return send();
    },
    async createApiAndClient(o = {}) {
      const identifier = o.identifier ?? `https://api.test/${randomBytes(6).toString('hex')}/`;
      const scopes = o.scopes ?? ['read:things', 'write:things'];
      const api = await expectJson<{ id: string; identifier: string }>(
        await server.management('POST', 'resource-servers', {
          identifier,
          name: `test api ${identifier}`,
          scopes: scopes.map((value) => ({ value, description: value })),
          ...(o.signingAlg !== undefined ? { signing_alg: o.signingAlg } : {}),
          ...(o.tokenLifetime !== undefined ? { token_lifetime: o.tokenLifetime } : {}),
        }),
      );
      const client = await expectJson<{ client_id: string; client_secret: string }>(
        await server.management('POST', 'clients', { name: o.clientName ?? 'test client' }),
      );
      const grant = await expectJson<{ id: string }>(
        await server.management('POST', 'client-grants', {
          client_id: client.client_id,
          audience: api.identifier,
          scope: o.grantScopes ?? scopes,
          ...(o.grantTokenLifetime !== undefined ? { token_lifetime: o.grantTokenLifetime } : {}),
        }),
      );
      return {
        audience: api.identifier,
        apiId: api.id,
        clientId: client.client_id,
        clientSecret: client.client_secret,
        grantId: grant.id,
      };
    },
    async createManagementClient(scopes, name = 'limited admin') {
      const client = await expectJson<{ client_id: string; client_secret: string }>(
        await server.management('POST', 'clients', { name }),
        201,
      );
      const audience = `${server.issuer}api/v2/`;
      await expectJson(
        await server.management('POST', 'client-grants', {
          client_id: client.client_id,
          audience,
          scope: scopes,
        }),
        201,
      );
      return { clientId: client.client_id, clientSecret: client.client_secret, audience };
    },
    getToken,
    async restart() {
      const port = new URL(running.url).port;
      await running.close();
      running = await startServer(
        loadConfig({ ...baseEnv, GATEHOUSE_PORT: port, GATEHOUSE_ISSUER: running.issuer }),
        { logDestination: destination },
      );
      cached = undefined;
    },
    async close() {
      await running.close();
      answers.stop();
      try {
        if (opts.skipSecretScan !== true) await scan();
      } finally {
        if (ownsDataDir && opts.keepDataDir !== true) await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
  return server;
}

/** The JSON body of a Management API answer; throws unless it succeeded (with `status`, when given). */
async function expectJson<T>(res: Response, status?: number): Promise<T> {
  const text = await res.text();
  if (!res.ok || (status !== undefined && res.status !== status))
    throw new Error(`Management API answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}
