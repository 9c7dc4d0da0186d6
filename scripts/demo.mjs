#!/usr/bin/env node
// `npm run demo`: the original story, told step by step against the stack `npm start` runs.
// Each step shows its HTTP exchange (secrets masked, tokens shortened) and what was expected;
// a summary table closes the run, and the exit code is non-zero when any step misbehaved.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stateFile = join(resolve(root, process.env.GATEHOUSE_DATA_DIR ?? '.gatehouse'), 'local-stack.json');
const issuer = process.env.GATEHOUSE_ISSUER ?? 'http://localhost:4000/';
const contactsUrl = process.env.CONTACTS_URL ?? `http://localhost:${process.env.CONTACTS_PORT ?? 4001}`;
const tty = process.stdout.isTTY;
const c = (code) => (s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : String(s));
const [bold, dim, green, red, cyan] = [c(1), c(2), c(32), c(31), c(36)];

if (!existsSync(stateFile)) {
  console.error(`No local stack found (${stateFile} is missing). Start it first with: npm start`);
  process.exit(1);
}
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
const audience = state.audience ?? process.env.CONTACTS_AUDIENCE ?? 'https://contacts.gatehouse.local/';

const shorten = (t) => (typeof t === 'string' && t.length > 40 ? `${t.slice(0, 24)}…(${t.length} chars)` : t);
const maskBody = (text) =>
  text
    .replace(/(client_secret=)[^&]+/g, '$1••••••')
    .replace(/("client_secret"\s*:\s*")[^"]+/g, '$1••••••')
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, (t) => shorten(t));

/** Sends one request and prints the exchange. */
async function exchange(method, url, { headers = {}, body } = {}) {
  console.log(cyan(`  → ${method} ${url}`));
  for (const [k, v] of Object.entries(headers))
    console.log(
      dim(
        `    ${k}: ${k.toLowerCase() === 'authorization' ? v.replace(/(Bearer )(\S+)/, (_, b, t) => b + shorten(t)) : v}`,
      ),
    );
  if (body) console.log(dim(`    ${maskBody(body)}`));
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  console.log(cyan(`  ← ${r.status} ${r.statusText}`));
  const www = r.headers.get('www-authenticate');
  if (www) console.log(dim(`    www-authenticate: ${www}`));
  if (text) console.log(dim(`    ${maskBody(text).slice(0, 400)}`));
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, json, www };
}

async function getToken(svc, label) {
  const r = await exchange('POST', `${issuer}oauth/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: svc.clientId,
      client_secret: svc.clientSecret,
      audience,
    }).toString(),
  });
  if (r.status !== 200)
    throw new Error(
      `${label} could not get a token (${r.status} ${r.json?.error ?? ''}); if its secret was rotated, delete ${stateFile} and the .gatehouse data, or update it`,
    );
  return r.json.access_token;
}

const results = [];
async function step(title, expected, fn) {
  console.log(`\n${bold(`${results.length + 1}. ${title}`)}  ${dim(`(expect ${expected})`)}`);
  try {
    const got = await fn();
    const ok = got.ok;
    results.push({ title, expected, got: got.summary, ok });
    console.log(ok ? green(`  ✓ ${got.summary}`) : red(`  ✗ ${got.summary}`));
  } catch (err) {
    results.push({ title, expected, got: err.message, ok: false });
    console.log(red(`  ✗ ${err.message}`));
  }
}

const auth = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
let readToken;
let writeToken;

console.log(
  bold('The gatehouse story: a Read Service may read contacts, a Write Service may do everything.'),
);
console.log(dim(`authorization server ${issuer}, contacts API ${contactsUrl}, audience ${audience}`));

await step('Read Service gets a token', '200 with scope read:contacts', async () => {
  readToken = await getToken(state.services.read, 'Read Service');
  return { ok: Boolean(readToken), summary: 'token issued' };
});
await step('Write Service gets a token', '200 with scope read:contacts write:contacts', async () => {
  writeToken = await getToken(state.services.write, 'Write Service');
  return { ok: Boolean(writeToken), summary: 'token issued' };
});
await step('Read Service tries to create a contact', '403 insufficient_scope', async () => {
  const r = await exchange('POST', `${contactsUrl}/contacts`, {
    headers: auth(readToken),
    body: JSON.stringify({ name: 'Mallory' }),
  });
  return {
    ok: r.status === 403 && /insufficient_scope/.test(r.www ?? ''),
    summary: `${r.status} ${r.www ?? ''}`,
  };
});
const created = [];
await step('Write Service creates three contacts', '201 ×3', async () => {
  for (const name of ['Ada Lovelace', 'Grace Hopper', 'Alan Turing']) {
    const r = await exchange('POST', `${contactsUrl}/contacts`, {
      headers: auth(writeToken),
      body: JSON.stringify({ name }),
    });
    if (r.status !== 201) return { ok: false, summary: `${r.status} for ${name}` };
    created.push(r.json.id);
  }
  return { ok: created.length === 3, summary: `201 ×3 (${created.join(', ')})` };
});
await step('Read Service lists contacts', '200 with the new contacts', async () => {
  const r = await exchange('GET', `${contactsUrl}/contacts?limit=100`, { headers: auth(readToken) });
  const ids = new Set((r.json?.items ?? []).map((x) => x.id));
  const all = created.every((id) => ids.has(id));
  return {
    ok: r.status === 200 && all,
    summary: `${r.status}, ${r.json?.items?.length ?? 0} contacts${all ? ', all three present' : ''}`,
  };
});
await step('Someone calls with no token', '401 with a bare Bearer challenge', async () => {
  const r = await exchange('GET', `${contactsUrl}/contacts`);
  return { ok: r.status === 401 && /^Bearer/.test(r.www ?? ''), summary: `${r.status} ${r.www ?? ''}` };
});
await step('A token that has expired is refused', '401 invalid_token', async () => {
  // A short-lived grant for a throwaway client, made with the administrator credential, then removed.
  const admin = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: state.admin.clientId,
      client_secret: state.admin.clientSecret,
      audience: `${issuer}api/v2/`,
    }),
  }).then((r) => r.json());
  const mh = auth(admin.access_token);
  const client = await fetch(`${issuer}api/v2/clients`, {
    method: 'POST',
    headers: mh,
    body: JSON.stringify({ name: 'Demo: short-lived token' }),
  }).then((r) => r.json());
  try {
    await fetch(`${issuer}api/v2/client-grants`, {
      method: 'POST',
      headers: mh,
      body: JSON.stringify({
        client_id: client.client_id,
        audience,
        scope: ['read:contacts'],
        token_lifetime: 1,
      }),
    });
    const token = await getToken(
      { clientId: client.client_id, clientSecret: client.client_secret },
      'the short-lived client',
    );
    const wait = 8;
    process.stdout.write(
      dim(`  token lives 1 s; waiting ${wait} s (past the authorizer's clock tolerance) `),
    );
    for (let i = 0; i < wait; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      process.stdout.write(dim('.'));
    }
    process.stdout.write('\n');
    const r = await exchange('GET', `${contactsUrl}/contacts`, { headers: auth(token) });
    return {
      ok: r.status === 401 && /invalid_token/.test(r.www ?? ''),
      summary: `${r.status} ${r.www ?? ''}`,
    };
  } finally {
    await fetch(`${issuer}api/v2/clients/${client.client_id}`, { method: 'DELETE', headers: mh });
  }
});

const failed = results.filter((r) => !r.ok).length;
console.log(`\n${bold('Summary')}`);
const w = Math.max(...results.map((r) => r.title.length));
for (const [i, r] of results.entries()) {
  console.log(
    `  ${r.ok ? green('✓') : red('✗')} ${String(i + 1).padStart(2)}. ${r.title.padEnd(w)}  ${dim(r.expected)}  →  ${r.got}`,
  );
}
console.log(
  failed
    ? red(`\n${failed} of ${results.length} steps did not behave as told.`)
    : green(`\nAll ${results.length} steps behaved as told.`),
);
process.exit(failed ? 1 : 0);
