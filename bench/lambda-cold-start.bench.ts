/**
 * Lambda authorizer cold start: a fresh `node` process loads a bundle and answers one API Gateway
 * TOKEN event, timed from spawn to the answer. Compared, interleaved run by run: an empty handler
 * (the floor: Node start-up), gatehouse's bundle (scripts/bundle-lambda.mjs) and an aws-jwt-verify
 * authorizer bundled the same way (esbuild, minified), each two ways:
 * - keys fetched at cold start from a local HTTPS issuer on 127.0.0.1 (aws-jwt-verify fetches JWKS
 *   over https only), trusted through NODE_EXTRA_CA_CERTS; gatehouse also fetches its revocation
 *   feed before its first answer. An empty handler making the same HTTPS GET of the JWKS is the
 *   floor of any authorizer that fetches at cold start;
 * - keys preloaded at deploy time (gatehouse `AUTHORIZER_JWKS`, aws-jwt-verify `cacheJwks`): no
 *   network before the answer when gatehouse's revocation feed is off (`AUTHORIZER_REVOCATION_FEED=off`,
 *   what aws-jwt-verify, which has no deny-list, does too); with the feed on, its one HTTPS GET remains.
 * Node reads its whole CA store at start-up when NODE_EXTRA_CA_CERTS is set (a real Node 20 Lambda
 * reads it at its first TLS connection): rows that make no TLS connection before their answer run
 * without it and are compared with an empty handler started the same way, the others with one
 * started with it.
 * Besides the wall time, each child reports its own CPU time (user + system, `process.cpuUsage()`)
 * at the answer, which a busy machine disturbs far less. Reports medians and ratios, and the gzip
 * bytes of the files each cold start reads. Bounded: RUNS x 9 processes.
 *
 * Run: node --import tsx bench/lambda-cold-start.bench.ts   (RUNS=n to change the 21 runs)
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

const RUNS = Number(process.env.RUNS ?? 21);
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
// aws-jwt-verify with the JWKS cached ahead (its cacheJwks), so verifying needs no fetch
const awsCachedDir = await bundleFrom(
  'aws-jwt-verify-cached',
  `import { JwtRsaVerifier } from 'aws-jwt-verify';
   const verifier = JwtRsaVerifier.create({ issuer: process.env.ISSUER, audience: process.env.AUDIENCE, jwksUri: process.env.JWKS_URI });
   verifier.cacheJwks(JSON.parse(process.env.JWKS));
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
// the floor of any authorizer that verifies at all: node:crypto loaded (without an ESM facade, as
// gatehouse's bundle takes it), the preloaded key imported, one RS256 crypto.verify of the token
const verifyFloorDir = await bundleFrom(
  'verify-floor',
  `const { createPublicKey, verify } = process.getBuiltinModule('node:crypto');
   const key = createPublicKey({ key: JSON.parse(process.env.JWKS).keys[0], format: 'jwk' });
   export const handler = async (event) => {
     const token = event.authorizationToken.slice(7);
     const dot = token.lastIndexOf('.');
     if (!verify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url')))
       throw new Error('Unauthorized');
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
  /** Started without NODE_EXTRA_CA_CERTS (no TLS before the answer), and compared with the bare empty handler. */
  bare?: boolean;
  /** gatehouse: whether the cold start reads the feed chunk (revocation feed followed). */
  feed?: boolean;
  /** gatehouse: whether the JWKS is preloaded (the fetch code is not read before the answer). */
  preloaded?: boolean;
}
const jwksUri = `${issuer}.well-known/jwks.json`;
const jwksJson = JSON.stringify({ keys: [key.jwk] });
const gatehouseEnv = { GATEHOUSE_ISSUER: issuer, AUTHORIZER_AUDIENCE: audience, AUTHORIZER_POLICY: policy };
const common = { NODE_EXTRA_CA_CERTS: join(work, 'tls-cert.pem'), PATH: process.env.PATH ?? '' };
const EMPTY = 'empty handler (Node start-up floor)';
const HTTPS_FLOOR = 'empty handler + the same HTTPS GET of the JWKS (floor of fetching at cold start)';
const BARE =
  'empty handler, without NODE_EXTRA_CA_CERTS (bare Node start-up, the floor of the preloaded rows)';
const GH_FETCH = 'gatehouse, keys fetched (AUTHORIZER_JWKS_URI set), revocation feed followed';
const GH_DISCOVERY = 'gatehouse, keys fetched (JWKS found by discovery), revocation feed followed';
const AWS_FETCH = 'aws-jwt-verify, keys fetched (jwksUri set)';
const GH_PRELOADED_FEED = 'gatehouse, JWKS preloaded (AUTHORIZER_JWKS), revocation feed followed';
const GH_PRELOADED = 'gatehouse, JWKS preloaded (AUTHORIZER_JWKS), AUTHORIZER_REVOCATION_FEED=off, bare';
const AWS_PRELOADED = 'aws-jwt-verify, JWKS preloaded (cacheJwks), bare';
const VERIFY_FLOOR =
  'empty handler + node:crypto, the preloaded key imported and one RS256 crypto.verify, bare (floor of any verifying authorizer)';
const variants: Variant[] = [
  { name: EMPTY, dir: emptyDir, env: {} },
  {
    name: GH_FETCH,
    dir: gatehouseDir,
    env: { ...gatehouseEnv, AUTHORIZER_JWKS_URI: jwksUri },
    feed: true,
  },
  { name: GH_DISCOVERY, dir: gatehouseDir, env: gatehouseEnv, feed: true },
  { name: AWS_FETCH, dir: awsDir, env: { ISSUER: issuer, AUDIENCE: audience, JWKS_URI: jwksUri } },
  { name: HTTPS_FLOOR, dir: httpsFloorDir, env: { JWKS_URI: jwksUri } },
  {
    name: GH_PRELOADED_FEED,
    dir: gatehouseDir,
    env: { ...gatehouseEnv, AUTHORIZER_JWKS_URI: jwksUri, AUTHORIZER_JWKS: jwksJson },
    feed: true,
    preloaded: true,
  },
  {
    name: GH_PRELOADED,
    dir: gatehouseDir,
    env: {
      ...gatehouseEnv,
      AUTHORIZER_JWKS_URI: jwksUri,
      AUTHORIZER_JWKS: jwksJson,
      AUTHORIZER_REVOCATION_FEED: 'off',
    },
    preloaded: true,
    bare: true,
  },
  {
    name: AWS_PRELOADED,
    dir: awsCachedDir,
    env: { ISSUER: issuer, AUDIENCE: audience, JWKS_URI: jwksUri, JWKS: jwksJson },
    bare: true,
  },
  { name: VERIFY_FLOOR, dir: verifyFloorDir, env: { JWKS: jwksJson }, bare: true },
  { name: BARE, dir: emptyDir, env: {}, bare: true },
];

// the answer is what API Gateway waits for; work left after it (a background JWKS refresh, sockets
// closing) is not counted. The child's own CPU time at the answer goes with it.
const program = `import('./index.mjs').then(async (m) => {
  const result = await m.handler(JSON.parse(process.env.EVENT));
  const cpu = process.cpuUsage();
  process.stdout.write((JSON.stringify(result).includes('"Allow"') ? 'allow ' : 'deny ') + (cpu.user + cpu.system) / 1000 + '\\n');
})`;

interface Sample {
  wall: number;
  cpu: number;
}

/** Milliseconds from spawning a fresh `node` to its answer on stdout, and the child's CPU time then. */
function coldStart(variant: Variant): Promise<Sample> {
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
    let sample: Sample | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      const answered = process.hrtime.bigint();
      out += chunk.toString();
      if (sample !== undefined || !out.includes('\n')) return;
      const [verdict, cpu] = out.split('\n')[0]!.split(' ');
      if (verdict !== 'allow') reject(new Error(`${variant.name} answered ${out}`));
      else sample = { wall: Number(answered - start) / 1e6, cpu: Number(cpu) };
    });
    child.on('error', reject);
    // the next run starts once this process is gone, so what it does after its answer (a background
    // refresh) does not run beside the next one
    child.on('exit', (code) => {
      if (sample === undefined) reject(new Error(`${variant.name} exited with ${code} without answering`));
      else resolve(sample);
    });
  });
}

const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
for (const variant of variants) await coldStart(variant); // warm the file system cache
for (let r = 0; r < RUNS; r++) {
  for (let k = 0; k < variants.length; k++) {
    const variant = variants[(k + r) % variants.length]!;
    samples.get(variant.name)!.push(await coldStart(variant));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = (name: string) => median(samples.get(name)!.map((s) => s.wall));
const cpu = (name: string) => median(samples.get(name)!.map((s) => s.cpu));

/** gzip bytes of each file a variant's cold start reads before its answer. */
async function readAtColdStart(v: Variant): Promise<{ total: number; index: number; files: number }> {
  const files = (await readdir(v.dir)).filter(
    (f) =>
      f.endsWith('.mjs') &&
      // gatehouse: the other issuer profiles are read only when one is configured, the feed code
      // only when a feed is followed, the JWKS fetch code not before the answer when preloaded
      !f.startsWith('factories-') &&
      (v.feed === true || !f.startsWith('feeds-')) &&
      !(v.preloaded === true && f.startsWith('jwks-fetch-')),
  );
  const gz = await Promise.all(
    files.map(async (f) => gzipSync(await readFile(join(v.dir, f)), { level: 9 }).length),
  );
  return {
    total: gz.reduce((a, b) => a + b, 0),
    index: gz[files.indexOf('index.mjs')] ?? 0,
    files: files.length,
  };
}
const sizes = new Map<string, Awaited<ReturnType<typeof readAtColdStart>>>();
for (const v of variants) {
  if (v.dir !== emptyDir && v.dir !== httpsFloorDir && v.dir !== verifyFloorDir)
    sizes.set(v.name, await readAtColdStart(v));
}
const sizeCell = (name: string) => {
  const size = sizes.get(name);
  if (size === undefined) return '-';
  return size.files === 1 ? String(size.total) : `${size.total} (index.mjs ${size.index})`;
};

const floor = { wall: wall(EMPTY), cpu: cpu(EMPTY) };
const bareFloor = { wall: wall(BARE), cpu: cpu(BARE) };
/** The empty handler started alike: without NODE_EXTRA_CA_CERTS for the bare rows. */
const floorOf = (name: string) => (variants.find((v) => v.name === name)?.bare ? bareFloor : floor);
const httpsFloor = { wall: wall(HTTPS_FLOOR), cpu: cpu(HTTPS_FLOOR) };
const ratio = (name: string, by: 'wall' | 'cpu') =>
  (by === 'wall' ? wall(name) : cpu(name)) / floorOf(name)[by];
const verdict = (x: number) => `${x.toFixed(2)}x (${x <= 1.1 ? 'met' : 'NOT met'})`;
const preloadedSize = sizes.get(GH_PRELOADED)!;
const defaultSize = sizes.get(GH_FETCH)!;
const lines = [
  '## Lambda authorizer cold start',
  '',
  `Fresh \`node\` process (Node ${process.version}) loading the bundle and answering one TOKEN event (RS256), from spawn to the answer; median of ${RUNS} interleaved runs. ` +
    'Keys are either fetched at cold start over HTTPS from 127.0.0.1, or preloaded at deploy time (gatehouse `AUTHORIZER_JWKS`, aws-jwt-verify `cacheJwks`). ' +
    "CPU ms: the child's own user + system time at its answer (`process.cpuUsage()`), which other load on the machine disturbs far less than the wall time.",
  "Rows that make a TLS connection before their answer run with NODE_EXTRA_CA_CERTS (the test issuer's certificate) and are compared with the empty handler started with it; the rows marked bare make none, run without it (as a Node 20 Lambda, which reads its CA store at its first TLS connection) and are compared with the bare empty handler.",
  'gzip bytes: every file that cold start reads before its answer (gatehouse: index.mjs and the chunks its configuration imports).',
  '',
  '| bundle | gzip bytes | median ms | vs empty handler (started alike) | vs empty + HTTPS GET | CPU ms | CPU vs empty handler |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...variants.map((v) => {
    const m = wall(v.name);
    return `| ${v.name} | ${sizeCell(v.name)} | ${m.toFixed(1)} | ${ratio(v.name, 'wall').toFixed(2)}x | ${v.bare ? '-' : `${(m / httpsFloor.wall).toFixed(2)}x`} | ${cpu(v.name).toFixed(1)} | ${ratio(v.name, 'cpu').toFixed(2)}x |`;
  }),
  '',
  `Target (issue 4), judged where an authorizer can meet it, with the JWKS preloaded and nothing fetched before the answer: gatehouse within 1.1x the empty handler: ` +
    `${verdict(ratio(GH_PRELOADED, 'wall'))} in wall time, ${verdict(ratio(GH_PRELOADED, 'cpu'))} in CPU time ` +
    `(aws-jwt-verify with cacheJwks ${ratio(AWS_PRELOADED, 'wall').toFixed(2)}x and ${ratio(AWS_PRELOADED, 'cpu').toFixed(2)}x). ` +
    'That row follows no revocation feed, like aws-jwt-verify, which has none: a token revoked before its expiry stays valid there. ' +
    `Verifying at all has a floor too: loading node:crypto, importing the key and one crypto.verify, nothing else, take ${ratio(VERIFY_FLOOR, 'wall').toFixed(2)}x the bare empty handler (CPU ${ratio(VERIFY_FLOOR, 'cpu').toFixed(2)}x); ` +
    `over that floor gatehouse takes ${(wall(GH_PRELOADED) / wall(VERIFY_FLOOR)).toFixed(2)}x (CPU ${(cpu(GH_PRELOADED) / cpu(VERIFY_FLOOR)).toFixed(2)}x), aws-jwt-verify ${(wall(AWS_PRELOADED) / wall(VERIFY_FLOOR)).toFixed(2)}x (CPU ${(cpu(AWS_PRELOADED) / cpu(VERIFY_FLOOR)).toFixed(2)}x).`,
  `Fetching at cold start cannot meet 1.1x: the same HTTPS GET alone, with no verification at all, takes ${(httpsFloor.wall / floor.wall).toFixed(2)}x the empty handler (loading node:https and TLS, one handshake, one request). ` +
    `gatehouse with its default revocation feed makes one such GET before its first answer even with the JWKS preloaded (${(wall(GH_PRELOADED_FEED) / httpsFloor.wall).toFixed(2)}x that floor), ` +
    `and fetching keys and feed ${(wall(GH_FETCH) / httpsFloor.wall).toFixed(2)}x (aws-jwt-verify fetching keys ${(wall(AWS_FETCH) / httpsFloor.wall).toFixed(2)}x). ` +
    `Without NODE_EXTRA_CA_CERTS a bare Node starts in ${wall(BARE).toFixed(0)} ms: ${(floor.wall - wall(BARE)).toFixed(0)} ms of the empty handler with it is Node reading its CA store.`,
  `Bundle (issue 4 target <= 10 KB gzip, 10240 bytes, everything a cold start reads): with the JWKS preloaded and no feed ${preloadedSize.total} bytes ` +
    `(${preloadedSize.total <= 10 * 1024 ? 'met' : 'NOT met'}); fetching keys and following the revocation feed (the default) ${defaultSize.total} bytes ` +
    `(${defaultSize.total <= 10 * 1024 ? 'met' : 'NOT met'}: the feed code and the fetch code are read then too).`,
  '',
];
const report = lines.join('\n');
await mkdir(new URL('./.results/', import.meta.url), { recursive: true });
await writeFile(new URL('./.results/lambda-cold-start.md', import.meta.url), report);
process.stdout.write(`${report}\n`);

server.close();
await rm(work, { recursive: true, force: true });
