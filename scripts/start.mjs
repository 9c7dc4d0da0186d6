#!/usr/bin/env node
// `npm start`: the whole local stack on embedded defaults. Starts the authorization server
// (SQLite under ./.gatehouse) and the contacts service (SQLite under ./.contacts); on first start
// it creates the contacts API, the Read Service and Write Service clients and their grants, and
// prints their credentials and ready-to-paste curl commands. Ctrl-C stops everything.
//
// The local stack keeps its administrator and demo client credentials in
// .gatehouse/local-stack.json (mode 0600, git-ignored) so that `npm run demo` and later starts can
// use them. That file is a convenience of this local stack only: a server started with
// `gatehouse serve` never writes a secret to disk, it stores hashes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(root, process.env.GATEHOUSE_DATA_DIR ?? '.gatehouse');
const stateFile = join(dataDir, 'local-stack.json');
const port = Number(process.env.GATEHOUSE_PORT ?? 4000);
const issuer = process.env.GATEHOUSE_ISSUER ?? `http://localhost:${port}/`;
const contactsPort = Number(process.env.CONTACTS_PORT ?? 4001);
const contactsUrl = `http://localhost:${contactsPort}`;
export const CONTACTS_AUDIENCE = process.env.CONTACTS_AUDIENCE ?? 'https://contacts.gatehouse.local/';

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function loadState() {
  if (!existsSync(stateFile)) return null;
  return JSON.parse(readFileSync(stateFile, 'utf8'));
}
function saveState(state) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(stateFile, 0o600);
}

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SHOWN = [
  'method',
  'route',
  'status',
  'duration_ms',
  'client_id',
  'event',
  'audience',
  'identifier',
  'url',
  'error',
  'reason',
];

/** Turns a pino JSON line into one short human line; anything else passes through unchanged. */
function formatLogLine(line) {
  if (!line.startsWith('{')) return line;
  try {
    const j = JSON.parse(line);
    const time = new Date(j.time).toISOString().slice(11, 19);
    const level = typeof j.level === 'number' ? (LEVELS[j.level] ?? j.level) : j.level;
    const fields = SHOWN.filter((k) => j[k] !== undefined && k !== 'msg').map((k) => `${k}=${j[k]}`);
    const lvl =
      level === 'info'
        ? dim(level)
        : level === 'warn' || level === 'error' || level === 'fatal'
          ? bold(level)
          : level;
    return `${dim(time)} ${lvl} ${j.msg ?? ''} ${dim(fields.join(' '))}`;
  } catch {
    return line;
  }
}

const children = [];
function run(name, bin, env) {
  const child = spawn(process.execPath, [join(root, bin), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = dim(`[${name}]`);
  const relay = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) out.write(`${prefix} ${formatLogLine(l)}\n`);
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}); stopping the stack`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  let left = children.filter((c) => c.exitCode === null).length;
  if (left === 0) process.exit(code);
  for (const c of children) {
    if (c.exitCode !== null) continue;
    c.once('exit', () => {
      if (--left === 0) process.exit(code);
    });
    c.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 8000).unref();
}
process.on('SIGINT', () => {
  console.log('\nstopping…');
  stop(0);
});
process.on('SIGTERM', () => stop(0));

async function waitFor(url, what) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not answer at ${url} within 30 s`);
}

async function call(method, path, token, body) {
  const r = await fetch(new URL(path, issuer), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${json.message ?? JSON.stringify(json)}`);
  return json;
}

async function token(clientId, clientSecret, audience) {
  const r = await fetch(new URL('oauth/token', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience,
    }),
  });
  const json = await r.json();
  if (!r.ok)
    throw new Error(`token for ${clientId}: ${r.status} ${json.error}: ${json.error_description ?? ''}`);
  return json.access_token;
}

async function seed(state) {
  const mgmt = await token(state.admin.clientId, state.admin.clientSecret, `${issuer}api/v2/`);
  await call('POST', 'api/v2/resource-servers', mgmt, {
    identifier: CONTACTS_AUDIENCE,
    name: 'Contacts API',
    scopes: [
      { value: 'read:contacts', description: 'List and read contacts' },
      { value: 'write:contacts', description: 'Create, update and delete contacts' },
    ],
    signing_alg: 'RS256',
    token_lifetime: 3600,
  });
  const services = {};
  for (const [key, name, scope] of [
    ['read', 'Read Service', ['read:contacts']],
    ['write', 'Write Service', ['read:contacts', 'write:contacts']],
  ]) {
    const c = await call('POST', 'api/v2/clients', mgmt, {
      name,
      app_type: 'non_interactive',
      description: `gatehouse demo: ${scope.join(', ')}`,
    });
    await call('POST', 'api/v2/client-grants', mgmt, {
      client_id: c.client_id,
      audience: CONTACTS_AUDIENCE,
      scope,
    });
    services[key] = { name, clientId: c.client_id, clientSecret: c.client_secret, scope };
  }
  return { ...state, audience: CONTACTS_AUDIENCE, services, seededAt: new Date().toISOString() };
}

function curlFor(s) {
  return [
    `TOKEN=$(curl -s ${issuer}oauth/token -d grant_type=client_credentials \\`,
    `  -d client_id=${s.clientId} -d client_secret=${s.clientSecret} \\`,
    `  -d audience=${CONTACTS_AUDIENCE} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `curl -s ${contactsUrl}/contacts -H "Authorization: Bearer $TOKEN"`,
  ].join('\n');
}

async function main() {
  let state = loadState();
  const firstStart = !state?.services;
  if (!state) {
    state = {
      admin: {
        clientId: `admin-${randomBytes(6).toString('hex')}`,
        clientSecret: randomBytes(32).toString('base64url'),
      },
    };
    saveState(state);
  }
  console.log(bold('gatehouse: starting the local stack'));
  run('gatehouse', 'packages/server/bin/gatehouse.mjs', {
    GATEHOUSE_ISSUER: issuer,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_ADMIN_CLIENT_ID: state.admin.clientId,
    GATEHOUSE_ADMIN_CLIENT_SECRET: state.admin.clientSecret,
  });
  await waitFor(new URL('healthz', issuer), 'the authorization server');
  if (firstStart) {
    state = await seed(state);
    saveState(state);
  }
  run('contacts', 'services/contacts/bin/gatehouse-contacts.mjs', {
    GATEHOUSE_ISSUER: issuer,
    CONTACTS_PORT: String(contactsPort),
    CONTACTS_AUDIENCE,
    CONTACTS_DATA_DIR: resolve(root, process.env.CONTACTS_DATA_DIR ?? '.contacts'),
  });
  await waitFor(`${contactsUrl}/healthz`, 'the contacts service');

  const { read, write } = state.services;
  console.log(`
${bold('gatehouse is up')}
  authorization server  ${issuer}   (discovery: ${issuer}.well-known/openid-configuration, docs: ${issuer}docs)
  contacts API          ${contactsUrl}   (audience ${CONTACTS_AUDIENCE})
  admin credential      GATEHOUSE_ADMIN_CLIENT_ID=${state.admin.clientId}  (secret in ${stateFile})
`);
  if (firstStart) {
    console.log(`${bold('Credentials, shown once')} (kept for this local stack in ${stateFile}, mode 0600):
  Read Service   client_id ${read.clientId}   client_secret ${read.clientSecret}   scope ${read.scope.join(' ')}
  Write Service  client_id ${write.clientId}   client_secret ${write.clientSecret}   scope ${write.scope.join(' ')}

${bold('Try it')} (Read Service lists contacts):
${curlFor(read)}
`);
  } else {
    console.log(`Everything from the first start was kept (APIs, clients, grants, keys).
Secrets are not shown again. To get a fresh one:  npx gatehouse clients rotate-secret <client_id>
  (with GATEHOUSE_ADMIN_CLIENT_ID / GATEHOUSE_ADMIN_CLIENT_SECRET from ${stateFile})
Read Service ${read.clientId}, Write Service ${write.clientId}.
`);
  }
  console.log(
    `Run ${bold('npm run demo')} in another terminal to watch the whole story. Ctrl-C stops the stack.`,
  );
}

main().catch((err) => {
  console.error(`npm start failed: ${err.message}`);
  stop(1);
});
