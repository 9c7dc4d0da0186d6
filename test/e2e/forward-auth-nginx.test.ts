/**
 * A real nginx on a loopback port, `auth_request` to gatehouse's forward-auth server, in front of a
 * small upstream; tokens issued by the real gatehouse authorization server. Checks the allowed,
 * 401 and 403 paths end to end, and that the caller's identity reaches the upstream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthorizer, createForwardAuthServer, createVerifier } from '@gatehouse/authorizer';
import {
  addSpawnedOutput,
  assertSpawnedOutputClean,
  startTestServer,
  type TestServer,
  watchSpawnedProcess,
} from '@gatehouse/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../services/free-port.ts';

const NGINX = '/usr/sbin/nginx';
const AUDIENCE = 'https://contacts.example/';
const policy = {
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
  ],
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function nginxConfig(dir: string, port: number, authPort: number, upstreamPort: number): string {
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_request /_gatehouse_auth;
      auth_request_set $auth_client_id $upstream_http_x_auth_client_id;
      auth_request_set $auth_scope $upstream_http_x_auth_scope;
      auth_request_set $auth_challenge $upstream_http_www_authenticate;
      # nginx passes the challenge of a 401 itself; a 403's needs adding
      error_page 403 = @forbidden;
      proxy_set_header X-Auth-Client-Id $auth_client_id;
      proxy_set_header X-Auth-Scope $auth_scope;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location @forbidden {
      add_header WWW-Authenticate $auth_challenge always;
      return 403;
    }
    location = /_gatehouse_auth {
      internal;
      proxy_pass http://127.0.0.1:${authPort}/nginx;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
  }
}
`;
}

let issuer: TestServer;
let readToken: string;
let writeToken: string;
let clientId: string;
let dir: string;
let upstream: Server;
let forwardAuth: Server;
let authorizer: ReturnType<typeof createAuthorizer>;
let nginx: ChildProcess | undefined;
let base: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx`);
  issuer = await startTestServer();
  const api = await issuer.createApiAndClient({
    identifier: AUDIENCE,
    scopes: ['read:contacts', 'write:contacts'],
    grantScopes: ['read:contacts', 'write:contacts'],
  });
  clientId = api.clientId;
  readToken = await issuer.getToken({ ...api, scope: 'read:contacts' });
  writeToken = await issuer.getToken({ ...api, scope: 'write:contacts' });

  upstream = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  const upstreamPort = await listen(upstream);
  authorizer = createAuthorizer({ issuer: issuer.issuer, audience: AUDIENCE, policy });
  forwardAuth = createForwardAuthServer({ authorizer });
  const authPort = await listen(forwardAuth);

  dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-'));
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, sub));
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, port, authPort, upstreamPort));
  nginx = spawn(
    NGINX,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  watchSpawnedProcess('nginx', nginx);
  base = `http://127.0.0.1:${port}`;
  // wait until nginx answers (bounded)
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${base}/contacts`);
      break;
    } catch (error) {
      if (attempt > 100 || nginx.exitCode !== null) {
        const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
        throw new Error(`nginx did not start: ${log}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}, 60_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx?.once('exit', resolve));
    nginx.kill('SIGTERM');
    await exited;
  }
  forwardAuth?.closeAllConnections();
  await new Promise((resolve) => forwardAuth?.close(resolve) ?? resolve(undefined));
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve) ?? resolve(undefined));
  authorizer?.close();
  await issuer?.close();
  try {
    // nginx's logs, for the tokens the suite sent through it.
    for (const log of ['error.log', 'access.log'])
      if (dir) addSpawnedOutput(`the nginx ${log}`, await readFile(join(dir, log), 'utf8').catch(() => ''));
    await assertSpawnedOutputClean();
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

const get = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.headers as Record<string, string>),
    },
  });

describe('tokens of the real gatehouse server', () => {
  it('verify with createVerifier', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
    try {
      const verified = await verifier.verify(readToken);
      expect(verified.clientId).toBe(clientId);
      expect(verified.scopes).toEqual(['read:contacts']);
    } finally {
      verifier.close();
    }
  });
});

describe('nginx auth_request in front of an upstream', () => {
  it('lets an allowed request through with the caller in X-Auth-Client-Id and X-Auth-Scope', async () => {
    const before = seen.length;
    const res = await get('/contacts/7?fields=name', readToken, { headers: { 'x-auth-client-id': 'admin' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/contacts/7?fields=name' });
    expect(seen.length).toBe(before + 1);
    // set by nginx from the forward-auth answer, not by the client
    expect(seen[seen.length - 1]).toMatchObject({
      'x-auth-client-id': clientId,
      'x-auth-scope': 'read:contacts',
    });
  });

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const before = seen.length;
    const res = await get('/contacts');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    expect(seen.length).toBe(before);
  });

  it('answers 401 invalid_token for a forged token', async () => {
    const forged = `${readToken.slice(0, readToken.lastIndexOf('.'))}.${'A'.repeat(342)}`;
    const res = await get('/contacts', forged);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 403 insufficient_scope naming the scope when the token lacks it', async () => {
    const before = seen.length;
    const res = await get('/contacts', readToken, { method: 'POST', body: '{"name":"x"}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="write:contacts"');
    expect(seen.length).toBe(before);
    expect((await get('/contacts', writeToken, { method: 'POST', body: '{"name":"x"}' })).status).toBe(200);
  });

  it('denies a route outside the policy and a path that could reach another route', async () => {
    const before = seen.length;
    expect((await get('/admin', readToken)).status).toBe(403);
    // nginx turns the forward-auth 400 into a 500: still a refusal
    expect((await get('/contacts/%2e%2e/admin', readToken)).status).toBeGreaterThanOrEqual(400);
    expect(seen.length).toBe(before);
  });
});
