import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/bundle-lambda.mjs', import.meta.url).pathname;
/**
 * Size budget of what a cold start reads (gzipped): index.mjs and the feed and IAM chunks it imports
 * during init (the chunk of the other issuer profiles is read only when one is configured). Issue 4's
 * target is 10 KB; the bundle does NOT meet it (about 14 KB; bench/REPORT.md says so): splitting the
 * code into chunks moves bytes but a cold start reads them all, so the budget counts them all. This
 * budget only keeps the bundle from growing unnoticed.
 */
const MAX_INIT_GZIP_BYTES = 15 * 1024;
/** Each chunk imported at init and read while the first fetches are in flight (feeds, IAM answers). */
const MAX_LAZY_CHUNK_GZIP_BYTES = 3 * 1024;
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

let idp: TestIssuer;
let buildDir: string;
let lambdaDir: string;

interface BundleFile {
  readonly file: string;
  readonly bytes: number;
  readonly critical: boolean;
}
let files: BundleFile[];

/** Runs the bundle in a fresh `node` process, in a directory with no node_modules above it. */
async function invoke(event: unknown, env: Record<string, string> = {}) {
  const program = `import('./index.mjs').then(async (m) => {
    try { process.stdout.write(JSON.stringify(await m.handler(JSON.parse(process.env.EVENT)))); }
    catch (e) { process.stdout.write(JSON.stringify({ thrown: e.message })); }
  })`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], {
    cwd: lambdaDir,
    env: {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ISSUER: idp.issuer,
      AUTHORIZER_AUDIENCE: idp.audience,
      AUTHORIZER_POLICY: JSON.stringify(contactsPolicy),
      EVENT: JSON.stringify(event),
      ...env,
    },
  });
  const lines = stdout.split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

beforeAll(async () => {
  idp = await startTestIssuer();
  buildDir = await mkdtemp(join(tmpdir(), 'gatehouse-bundle-'));
  lambdaDir = await mkdtemp(join(tmpdir(), 'gatehouse-lambda-'));
  const { stdout } = await run(process.execPath, [
    '--input-type=module',
    '-e',
    `import(${JSON.stringify(SCRIPT)}).then(async (m) => process.stdout.write(JSON.stringify(await m.bundleLambda(${JSON.stringify(buildDir)}))))`,
  ]);
  files = JSON.parse(stdout) as BundleFile[];
  await cp(buildDir, lambdaDir, { recursive: true });
}, 60_000);

afterAll(async () => {
  await idp.close();
  await rm(buildDir, { recursive: true, force: true });
  await rm(lambdaDir, { recursive: true, force: true });
});

describe('the Lambda bundle', () => {
  it(`reads at most ${MAX_INIT_GZIP_BYTES} bytes gzipped at a cold start, every chunk read during init counted`, async () => {
    const init = files.filter((f) => !basename(f.file).startsWith('factories-'));
    expect(init.map((f) => f.file)).toContain(join(buildDir, 'index.mjs'));
    let total = 0;
    for (const f of init) total += gzipSync(await readFile(f.file), { level: 9 }).length;
    expect(total).toBeLessThanOrEqual(MAX_INIT_GZIP_BYTES);
  });

  it(`keeps the feed code and the IAM answer builder in chunks of at most ${MAX_LAZY_CHUNK_GZIP_BYTES} bytes gzipped`, async () => {
    const lazy = files.filter((f) => !f.critical);
    expect(lazy.map((f) => f.file.replace(/-\w+\.mjs$/, '')).sort()).toEqual(
      // factories: the issuer profiles other than gatehouse, loaded only when configured (docs/issuer-profiles.md)
      [join(buildDir, 'factories'), join(buildDir, 'feeds'), join(buildDir, 'iam-policy')].sort(),
    );
    for (const f of lazy) {
      expect(gzipSync(await readFile(f.file), { level: 9 }).length, f.file).toBeLessThanOrEqual(
        MAX_LAZY_CHUNK_GZIP_BYTES,
      );
    }
  });

  it('runs where no node_modules can be reached', () => {
    for (let dir = lambdaDir; dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    }
  });

  it('answers a REST API TOKEN event in a fresh node process', async () => {
    const token = await idp.mint({ scope: 'read:contacts' });
    const result = await invoke({
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: `${ARN}/GET/contacts/7`,
    });
    expect(result).toMatchObject({
      principalId: 'svc-a',
      context: { client_id: 'svc-a', scope: 'read:contacts' },
      policyDocument: { Version: '2012-10-17' },
    });
    const statements = (result.policyDocument as { Statement: Array<{ Effect: string; Resource: string[] }> })
      .Statement;
    expect(statements.find((s) => s.Effect === 'Allow')?.Resource).toContain(`${ARN}/GET/contacts/*`);
  });

  it('throws Unauthorized for a forged token', async () => {
    const token = await idp.mint();
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(342)}`;
    expect(
      await invoke({
        type: 'TOKEN',
        authorizationToken: `Bearer ${forged}`,
        methodArn: `${ARN}/GET/contacts`,
      }),
    ).toEqual({
      thrown: 'Unauthorized',
    });
  });

  it('refuses a revoked token, following the revocation feed', async () => {
    const token = await idp.mint({ scope: 'read:contacts', jti: 'revoked-in-bundle' });
    idp.feeds.revokeToken('revoked-in-bundle', Math.floor(Date.now() / 1000) + 300);
    expect(
      await invoke({
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: `${ARN}/GET/contacts/7`,
      }),
    ).toEqual({ thrown: 'Unauthorized' });
  });

  it('follows the remote route policy with AUTHORIZER_POLICY=remote', async () => {
    idp.feeds.setPolicy([{ method: 'GET', path: '/things', scopes: ['read:contacts'] }]);
    const token = await idp.mint({ scope: 'read:contacts' });
    const event = (path: string) => ({
      version: '2.0',
      type: 'REQUEST',
      routeArn: `${ARN}/GET${path}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await invoke(event('/things'), { AUTHORIZER_POLICY: 'remote' })).toMatchObject({
      isAuthorized: true,
    });
    expect(await invoke(event('/contacts'), { AUTHORIZER_POLICY: 'remote' })).toMatchObject({
      isAuthorized: false,
    });
  });
});
