/**
 * Lambda authorizer cold start: a fresh `node` process loads a bundle and answers one API Gateway
 * TOKEN event, timed from spawn to exit. Compared, interleaved run by run: an empty handler (the
 * floor: Node start-up), gatehouse's bundle (scripts/bundle-lambda.mjs: index.mjs and the chunks it
 * imports at init; it also fetches the revocation feed before its first answer) and an aws-jwt-verify
 * authorizer bundled the same way (esbuild, minified). Keys come from a local HTTPS issuer on
 * 127.0.0.1 (aws-jwt-verify fetches JWKS over https only), trusted through NODE_EXTRA_CA_CERTS.
 * Two more rows separate what no authorizer can avoid from what it adds: an empty handler that makes
 * the same HTTPS GET of the JWKS (the floor for any authorizer that fetches keys at cold start), and
 * an empty handler started without NODE_EXTRA_CA_CERTS (Node reads its whole CA store at start-up
 * when that variable is set; a real Node 20 Lambda reads it at its first TLS connection instead).
 * Reports medians and ratios, and the bytes a cold start reads. Bounded: RUNS x 6 processes.
 *
 * Run: npx tsx bench/lambda-cold-start.bench.ts
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { SignJWT } from 'jose';
import { createTestKey } from '../packages/authorizer/src/testing/test-issuer.ts';

const RUNS = 21;
const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'gatehouse-cold-start-'));

// a local HTTPS issuer: self-signed certificate for 127.0.0.1, discovery and JWKS
await run('openssl', [
  'req',
  '-x509',
  '-newkey',
  'rsa:2048',
  '-nodes',
  '-days',
  '1',
  '-subj',
  '/CN=127.0.0.1',
  '-addext',
  'subjectAltName=IP:127.0.0.1',
  '-keyout',
  join(work, 'tls-key.pem'),
  '-out',
  join(work, 'tls-cert.pem'),
]);
const key = createTestKey('RS256');
let issuer = '';
const server = createServer(
  { key: await readFile(join(work, 'tls-key.pem')), cert: await readFile(join(work, 'tls-cert.pem')) },
  (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/openid-configuration')) {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}.well-known/jwks.json` }));
    } else if (req.url?.startsWith('/feeds/revocations')) {
      // gatehouse's bundle follows the revocation feed and answers only once it has the deny-list
      res.end(JSON.stringify({ cursor: '1', full: true, tokens: [], cutoffs: [], keys: [] }));
    } else res.end(JSON.stringify({ keys: [key.jwk] }));
  },
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const audience = 'https://contacts.example/';
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({
  iss: issuer,
  sub: 'svc-a',
  aud: audience,
  iat: now,
  exp: now + 3600,
  jti: 'cold',
  client_id: 'svc-a',
  scope: 'read:contacts',
})
  .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
  .sign(key.privateKey);
const event = {
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/contacts/7',
};

// the bundles, each alone in its own directory (no node_modules reachable)
async function bundleFrom(name: string, contents: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `${name}.ts` },
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'error',
  });
  return dir;
}
// gatehouse's bundle is a directory: index.mjs and the chunks it imports at init (feeds, IAM answers)
const gatehouseDir = join(work, 'gatehouse');
await run(process.execPath, [join(root, 'packages/authorizer/scripts/bundle-lambda.mjs'), gatehouseDir]);
const emptyDir = await bundleFrom(
  'empty',
  `export const handler = async (event) => ({ principalId: 'x', policyDocument: { Version: '2012-10-17',
     Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn] }] } });`,
);
const awsDir = await bundleFrom(
  'aws-jwt-verify',
  `import { JwtRsaVerifier } from 'aws-jwt-verify';
   const verifier = JwtRsaVerifier.create({ issuer: process.env.ISSUER, audience: process.env.AUDIENCE, jwksUri: process.env.JWKS_URI });
   export const handler = async (event) => {
     let payload;
     try { payload = await verifier.verify(event.authorizationToken.replace(/^Bearer /, '')); }
     catch { throw new Error('Unauthorized'); }
     const allowed = String(payload.scope ?? '').split(' ').includes('read:contacts');
     return { principalId: payload.sub, context: { scope: payload.scope },
       policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: [event.methodArn] }] } };
   };`,
);
// the floor of any authorizer that fetches keys at cold start: the same HTTPS GET, nothing else
const httpsFloorDir = await bundleFrom(
  'https-floor',
  `import { get } from 'node:https';
   export const handler = async (event) => {
     await new Promise((resolve, reject) => get(process.env.JWKS_URI, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
     return { principalId: 'x', policyDocument: { Version: '2012-10-17',
       Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn] }] } };
   };`,
);
const policy = JSON.stringify({
  routes: [{ method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] }],
});

interface Variant {
  name: string;
  dir: string;
  env: Record<string, string>;
  /** Started without NODE_EXTRA_CA_CERTS. */
  bare?: boolean;
}
const common = { NODE_EXTRA_CA_CERTS: join(work, 'tls-cert.pem'), PATH: process.env.PATH ?? '' };
const variants: Variant[] = [
  { name: 'empty handler (Node start-up floor)', dir: emptyDir, env: {} },
  {
    name: 'gatehouse bundle (AUTHORIZER_JWKS_URI set)',
    dir: gatehouseDir,
    env: {
      GATEHOUSE_ISSUER: issuer,
      AUTHORIZER_AUDIENCE: audience,
      AUTHORIZER_POLICY: policy,
      AUTHORIZER_JWKS_URI: `${issuer}.well-known/jwks.json`,
    },
  },
  {
    name: 'gatehouse bundle (JWKS found by discovery)',
    dir: gatehouseDir,
    env: { GATEHOUSE_ISSUER: issuer, AUTHORIZER_AUDIENCE: audience, AUTHORIZER_POLICY: policy },
  },
  {
    name: 'aws-jwt-verify bundle (jwksUri set)',
    dir: awsDir,
    env: { ISSUER: issuer, AUDIENCE: audience, JWKS_URI: `${issuer}.well-known/jwks.json` },
  },
  {
    name: 'empty handler + the same HTTPS GET of the JWKS (floor of fetching keys)',
    dir: httpsFloorDir,
    env: { JWKS_URI: `${issuer}.well-known/jwks.json` },
  },
  {
    name: 'empty handler, without NODE_EXTRA_CA_CERTS (bare Node start-up)',
    dir: emptyDir,
    env: {},
    bare: true,
  },
];

// the answer is what API Gateway waits for; work left after it (sockets closing) is not counted
const program = `import('./index.mjs').then(async (m) => {
  const result = await m.handler(JSON.parse(process.env.EVENT));
  process.stdout.write(JSON.stringify(result).includes('"Allow"') ? 'allow\\n' : 'deny\\n');
})`;

/** Milliseconds from spawning a fresh `node` to its answer on stdout. */
function coldStart(variant: Variant): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
      cwd: variant.dir,
      env: {
        ...(variant.bare ? { PATH: common.PATH } : common),
        ...variant.env,
        EVENT: JSON.stringify(event),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const answered = process.hrtime.bigint();
      out += chunk.toString();
      if (!out.includes('\n')) return;
      if (out.trim() !== 'allow') reject(new Error(`${variant.name} answered ${out}`));
      else resolve(Number(answered - start) / 1e6);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`${variant.name} exited with ${code} without answering`));
    });
  });
}

const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (const variant of variants) await coldStart(variant); // warm the file system cache
for (let r = 0; r < RUNS; r++) {
  for (let k = 0; k < variants.length; k++) {
    const variant = variants[(k + r) % variants.length]!;
    samples.get(variant.name)!.push(await coldStart(variant));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (name: string) => median(samples.get(name)!);
const floor = ms(variants[0]!.name);
const httpsFloor = ms(variants[4]!.name);
const bare = ms(variants[5]!.name);
const gatehouse = ms(variants[1]!.name);
const sizes = new Map<string, string>();
let gatehouseInit = 0;
let gatehouseIndex = 0;
for (const v of variants) {
  // gatehouse's chunk of the other issuer profiles (factories-*) is read only when one is configured
  const files = (await readdir(v.dir)).filter((f) => f.endsWith('.mjs') && !f.startsWith('factories-'));
  const gz = await Promise.all(
    files.map(async (f) => gzipSync(await readFile(join(v.dir, f)), { level: 9 }).length),
  );
  const total = gz.reduce((a, b) => a + b, 0);
  if (v.dir === gatehouseDir) {
    gatehouseInit = total;
    gatehouseIndex = gz[files.indexOf('index.mjs')] ?? 0;
  }
  sizes.set(
    v.dir,
    files.length === 1 ? String(total) : `${total} (index.mjs ${gz[files.indexOf('index.mjs')]})`,
  );
}
const lines = [
  '## Lambda authorizer cold start',
  '',
  `Fresh \`node\` process (Node ${process.version}) loading the bundle and answering one TOKEN event (RS256, keys fetched over HTTPS from 127.0.0.1), from spawn to the answer; median of ${RUNS} interleaved runs.`,
  "Every row but the last runs with NODE_EXTRA_CA_CERTS (the test issuer's certificate), so every row pays Node's CA store at start-up alike.",
  'gzip bytes: every file a cold start reads (gatehouse: index.mjs and the feed and IAM chunks it imports during init).',
  '',
  '| bundle | gzip bytes | median ms | vs empty handler | vs empty handler + HTTPS GET |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...variants.map((v) => {
    const m = ms(v.name);
    return `| ${v.name} | ${v.name.startsWith('empty') ? '-' : sizes.get(v.dir)} | ${m.toFixed(1)} | ${(m / floor).toFixed(2)}x | ${(m / httpsFloor).toFixed(2)}x |`;
  }),
  '',
  `Target (issue 4): gatehouse within 1.1x the empty handler: ${(gatehouse / floor).toFixed(2)}x ${gatehouse / floor <= 1.1 ? 'met' : 'NOT met'}.`,
  `The same HTTPS GET alone, with no verification at all, already takes ${(httpsFloor / floor).toFixed(2)}x the empty handler (loading node:https and TLS, one handshake, one request): ` +
    `1.1x is below what fetching keys at cold start costs. Above that floor gatehouse adds ${(gatehouse - httpsFloor).toFixed(0)} ms (${(gatehouse / httpsFloor).toFixed(2)}x; ` +
    `aws-jwt-verify ${(ms(variants[3]!.name) / httpsFloor).toFixed(2)}x). Without NODE_EXTRA_CA_CERTS a bare Node starts in ${bare.toFixed(0)} ms: ` +
    `${(floor - bare).toFixed(0)} ms of the empty handler above is Node reading its CA store, which an authorizer fetching over HTTPS pays anyway.`,
  `Bundle (issue 4 target <= 10 KB gzip): a gatehouse cold start reads ${gatehouseInit} bytes gzipped in all, index.mjs ${gatehouseIndex} of them ` +
    `(${gatehouseInit <= 10 * 1024 ? 'met' : 'NOT met: the feed and IAM chunks are read during init too, so they count'}).`,
  '',
];
const report = lines.join('\n');
await mkdir(new URL('./.results/', import.meta.url), { recursive: true });
await writeFile(new URL('./.results/lambda-cold-start.md', import.meta.url), report);
process.stdout.write(`${report}\n`);

server.close();
await rm(work, { recursive: true, force: true });
