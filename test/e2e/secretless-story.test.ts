/**
 * The original story with the Read Service and Write Service holding no secret at all (issue 12):
 * `gatehouse serve` and `gatehouse-contacts serve` as separate processes, a local "Kubernetes"
 * service-account issuer (discovery + JWKS over HTTP), and each service's projected token in a file
 * its token client (`createTokenClient({clientAssertion: createFileAssertionSource(path)})`) reads
 * for each token request. Their clients' secrets are switched off (`token_endpoint_auth_method:
 * private_key_jwt`), so the platform token is the only way in.
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createTokenClient, type TokenClient } from '@gatehouse/client';
import { createFileAssertionSource } from '@gatehouse/client/federated-assertion';
import { type ContactsStory, provisionContactsStory } from '@gatehouse/contacts/testing';
import { startWorkloadIssuer, type WorkloadIssuer } from '@gatehouse/server/testing/workload-issuer';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSpawnedOutputClean,
  fetchRecordingSecrets,
  recordSecret,
  watchSpawnedProcess,
} from '../../packages/server/src/testing/secret-scan-spawned.ts';
import { freePort } from '../services/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GATEHOUSE_BIN = join(ROOT, 'packages/server/bin/gatehouse.mjs');
const CONTACTS_BIN = join(ROOT, 'services/contacts/bin/gatehouse-contacts.mjs');
const ADMIN = { clientId: 'e2e-admin', clientSecret: 'e2e-admin-secret-0123456789-abcdefghijklmnopqrstuv' };
const AUDIENCE = 'https://contacts.gatehouse.local/secretless/';
/** The audience the pods' projected tokens are requested for: gatehouse itself. */
const PLATFORM_AUDIENCE = 'https://gatehouse.local/';

const procs: ChildProcess[] = [];
const tempDirs: string[] = [];
let issuer: string;
let contactsUrl: string;
let k8s: WorkloadIssuer;
let story: ContactsStory;
let tokens: string;
const tokenClients: TokenClient[] = [];

/** A projected service-account token for `contacts/<name>`, written the kubelet's way (atomic rename). */
async function project(name: string): Promise<void> {
  const t = Math.floor(Date.now() / 1000);
  const token = await k8s.mint({
    aud: [PLATFORM_AUDIENCE],
    exp: t + 3600,
    iat: t,
    nbf: t,
    iss: k8s.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: 'contacts',
      pod: { name: `${name}-6b7d9-q2x`, uid: randomUUID() },
      serviceaccount: { name, uid: randomUUID() },
    },
    sub: `system:serviceaccount:contacts:${name}`,
  });
  recordSecret('platform token', token);
  const next = join(tokens, `.${name}.${randomUUID()}`);
  await writeFile(next, token);
  await rename(next, join(tokens, name));
}

/** The token client of the service `name`: no secret, no client id, only its projected token file. */
function tokenClientOf(name: string): TokenClient {
  const client = createTokenClient({
    issuer,
    clientAssertion: createFileAssertionSource(join(tokens, name)),
    audience: story.audience,
    fetch: fetchRecordingSecrets,
  });
  tokenClients.push(client);
  return client;
}

/** A token of the service `name`, from a fresh token client (as a service starting up). */
function tokenOf(name: string): Promise<string> {
  return tokenClientOf(name).getToken();
}

beforeAll(async () => {
  recordSecret('bootstrap admin secret', ADMIN.clientSecret);
  k8s = await startWorkloadIssuer();
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}/`;
  await start(
    GATEHOUSE_BIN,
    {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: issuer,
      GATEHOUSE_DATA_DIR: temp('gh-secretless-'),
      GATEHOUSE_ADMIN_CLIENT_ID: ADMIN.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN.clientSecret,
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
    `${issuer}healthz`,
  );
  story = await provisionContactsStory(management, AUDIENCE);
  for (const [service, client] of [
    ['read-service', story.read],
    ['write-service', story.write],
  ] as const) {
    const added = await management('POST', `clients/${client.clientId}/credentials`, {
      credential_type: 'federated',
      issuer: k8s.issuer,
      subject: `system:serviceaccount:contacts:${service}`,
      audience: PLATFORM_AUDIENCE,
    });
    expect(added.status).toBe(201);
    // Its secret no longer authenticates it: nobody needs to hold it.
    const patched = await management('PATCH', `clients/${client.clientId}`, {
      token_endpoint_auth_method: 'private_key_jwt',
    });
    expect(patched.status).toBe(200);
  }
  const contactsPort = await freePort();
  contactsUrl = `http://127.0.0.1:${contactsPort}`;
  await start(
    CONTACTS_BIN,
    {
      CONTACTS_PORT: String(contactsPort),
      GATEHOUSE_ISSUER: issuer,
      CONTACTS_AUDIENCE: AUDIENCE,
      CONTACTS_STORE: 'sqlite',
      CONTACTS_DATA_DIR: temp('contacts-secretless-'),
      CONTACTS_LOG_LEVEL: 'warn',
    },
    `${contactsUrl}/healthz`,
  );
  tokens = temp('projected-');
  await project('read-service');
  await project('write-service');
});

afterAll(async () => {
  for (const c of tokenClients.splice(0)) c.close();
  for (const p of procs.splice(0).reverse()) await stop(p);
  try {
    // Both processes' output and the server's store, for every secret and token the story obtained.
    await assertSpawnedOutputClean();
  } finally {
    await k8s?.stop();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
});

describe('the story with secretless Read and Write Services', () => {
  it('refuses the switched-off client secret', async () => {
    const res = await fetch(`${issuer}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: story.write.clientId,
        client_secret: story.write.clientSecret,
        audience: story.audience,
      }),
    });
    expect(res.status).toBe(401);
  });

  it('gets each service its own scopes from its service-account token', async () => {
    expect(decodeJwt(await tokenOf('read-service'))).toMatchObject({
      client_id: story.read.clientId,
      scope: 'read:contacts',
    });
    expect(decodeJwt(await tokenOf('write-service'))).toMatchObject({
      client_id: story.write.clientId,
      scope: 'read:contacts write:contacts',
    });
  });

  it('writes with the Write Service, is refused a write with the Read Service, and reads it back', async () => {
    const writer = tokenClientOf('write-service');
    const reader = tokenClientOf('read-service');
    const created = await writer.fetch(`${contactsUrl}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada Lovelace' }),
    });
    expect(created.status).toBe(201);
    const refused = await reader.fetch(`${contactsUrl}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Not allowed' }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    const listed = await reader.fetch(`${contactsUrl}/contacts`);
    expect(listed.status).toBe(200);
    const { items } = (await listed.json()) as { items: Array<{ name: string }> };
    expect(items.map((c) => c.name)).toEqual(['Ada Lovelace']);
  });

  it('keeps working when the kubelet rotates the token file', async () => {
    await project('write-service');
    expect(decodeJwt(await tokenOf('write-service')).client_id).toBe(story.write.clientId);
  });
});

async function management(method: string, path: string, body?: unknown): Promise<Response> {
  const tokenRes = await fetchRecordingSecrets(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: ADMIN.clientId,
      client_secret: ADMIN.clientSecret,
      audience: `${issuer}api/v2/`,
    }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  return fetchRecordingSecrets(`${issuer}api/v2/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Starts a long-running bin (`serve`) with only the given environment and waits until `readyUrl` answers 200. */
async function start(bin: string, env: Record<string, string>, readyUrl: string): Promise<void> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  watchSpawnedProcess(`${basename(bin)} serve`, child, bin === GATEHOUSE_BIN ? { gatehouseEnv: env } : {});
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  procs.push(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${bin} exited ${child.exitCode} before it was ready:\n${output}`);
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${bin} not ready at ${readyUrl} within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}
