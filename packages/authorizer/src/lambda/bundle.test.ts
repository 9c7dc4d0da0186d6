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
 * Size budgets (gzipped) of what a cold start reads before its first answer to a TOKEN event.
 * With the JWKS preloaded (`AUTHORIZER_JWKS`) and no revocation feed that is index.mjs alone, with
 * the IAM answer builder in it: issue 4's target is 10 KB, which it does NOT meet (10,911 bytes;
 * bench/REPORT.md says so), so this budget only keeps it from growing unnoticed. Fetching keys and
 * following the revocation feed (the defaults) also reads the fetch and feed chunks. The chunk of
 * the other issuer profiles is read only when one is configured.
 */
const MAX_PRELOADED_GZIP_BYTES = 11 * 1024;
const MAX_DEFAULT_GZIP_BYTES = 15 * 1024;
/** Each chunk read only when its feature is configured: fetching keys, the feeds, other issuer profiles. */
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
  // the answer ends the process: what the bundle does after it (a background refresh) is not awaited
  const program = `const answer = (value) => { process.stdout.write(JSON.stringify(value) + '\\n'); process.exit(0); };
  import('./index.mjs').then(async (m) => {
    try { answer(await m.handler(JSON.parse(process.env.EVENT))); }
    catch (e) { answer({ thrown: e.message }); }
  }, (e) => answer({ init: e.message }))`;
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
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** gzip bytes of the bundle's files whose names start with `prefixes` (index.mjs always). */
async function gzipBytes(...prefixes: string[]): Promise<number> {
  let total = 0;
  for (const f of files) {
    const name = basename(f.file);
    if (name === 'index.mjs' || prefixes.some((p) => name.startsWith(`${p}-`)))
      total += gzipSync(await readFile(f.file), { level: 9 }).length;
  }
  return total;
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
  it(`reads at most ${MAX_PRELOADED_GZIP_BYTES} bytes gzipped at a cold start with the JWKS preloaded: index.mjs, nothing it imports`, async () => {
    // nothing index.mjs imports statically: a shared chunk would be one more file for every cold start
    expect(files.filter((f) => f.critical).map((f) => basename(f.file))).toEqual(['index.mjs']);
    expect(await gzipBytes()).toBeLessThanOrEqual(MAX_PRELOADED_GZIP_BYTES);
  });

  it(`reads at most ${MAX_DEFAULT_GZIP_BYTES} bytes gzipped at a cold start that fetches keys and follows the revocation feed`, async () => {
    expect(await gzipBytes('jwks-fetch', 'feeds')).toBeLessThanOrEqual(MAX_DEFAULT_GZIP_BYTES);
  });

  it(`keeps the fetch code, the feed code and the other issuer profiles in chunks of at most ${MAX_LAZY_CHUNK_GZIP_BYTES} bytes gzipped`, async () => {
    const lazy = files.filter((f) => !f.critical);
    expect(lazy.map((f) => f.file.replace(/-\w+\.mjs$/, '')).sort()).toEqual(
      // factories: the issuer profiles other than gatehouse, loaded only when configured (docs/issuer-profiles.md)
      [join(buildDir, 'factories'), join(buildDir, 'feeds'), join(buildDir, 'jwks-fetch')].sort(),
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

  describe('with the JWKS preloaded (AUTHORIZER_JWKS)', () => {
    const tokenEvent = (token: string) => ({
      type: 'TOKEN',
      authorizationToken: `Bearer ${token}`,
      methodArn: `${ARN}/GET/contacts/7`,
    });

    it('answers with no issuer reachable, following no revocation feed', async () => {
      const gone = await startTestIssuer();
      const token = await gone.mint({ scope: 'read:contacts' });
      await gone.close();
      const result = await invoke(tokenEvent(token), {
        GATEHOUSE_ISSUER: gone.issuer,
        AUTHORIZER_AUDIENCE: gone.audience,
        AUTHORIZER_JWKS: JSON.stringify({ keys: [gone.keys.RS256.jwk] }),
        AUTHORIZER_REVOCATION_FEED: 'off',
      });
      expect(result).toMatchObject({ principalId: 'svc-a', context: { scope: 'read:contacts' } });
    });

    it('fetches the JWKS for a kid it does not hold', async () => {
      const token = await idp.mint({ scope: 'read:contacts' }, { alg: 'RS256' });
      const result = await invoke(tokenEvent(token), {
        AUTHORIZER_JWKS: JSON.stringify({ keys: [idp.keys.ES256.jwk] }),
      });
      expect(result).toMatchObject({ principalId: 'svc-a' });
    });

    it('still refuses a revoked token when it follows the revocation feed', async () => {
      const token = await idp.mint({ scope: 'read:contacts', jti: 'revoked-preloaded' });
      idp.feeds.revokeToken('revoked-preloaded', Math.floor(Date.now() / 1000) + 300);
      const result = await invoke(tokenEvent(token), {
        AUTHORIZER_JWKS: JSON.stringify({ keys: [idp.keys.RS256.jwk] }),
      });
      expect(result).toEqual({ thrown: 'Unauthorized' });
    });

    it('stops at start, naming the variable, when it is not a JWKS', async () => {
      const result = await invoke(tokenEvent(await idp.mint()), { AUTHORIZER_JWKS: '{"keys": [' });
      expect(result.init).toMatch(/^AUTHORIZER_JWKS must be a JWKS/);
    });
  });
});
