import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/bundle-lambda.mjs', import.meta.url).pathname;
/** Issue 4's target for the Lambda bundle: 10 KB (10 x 1024 bytes) gzipped. */
const MAX_GZIP_BYTES = 10 * 1024;
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

let idp: TestIssuer;
let buildDir: string;
let lambdaDir: string;

/** Runs the bundle in a fresh `node` process, in a directory with no node_modules above it. */
async function invoke(event: unknown) {
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
    },
  });
  const lines = stdout.split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

beforeAll(async () => {
  idp = await startTestIssuer();
  buildDir = await mkdtemp(join(tmpdir(), 'gatehouse-bundle-'));
  lambdaDir = await mkdtemp(join(tmpdir(), 'gatehouse-lambda-'));
  await run(process.execPath, [SCRIPT, join(buildDir, 'index.mjs')]);
  await copyFile(join(buildDir, 'index.mjs'), join(lambdaDir, 'index.mjs'));
}, 60_000);

afterAll(async () => {
  await idp.close();
  await rm(buildDir, { recursive: true, force: true });
  await rm(lambdaDir, { recursive: true, force: true });
});

describe('the Lambda bundle', () => {
  it(`is at most ${MAX_GZIP_BYTES} bytes gzipped`, async () => {
    const bundle = await readFile(join(buildDir, 'index.mjs'));
    expect(gzipSync(bundle, { level: 9 }).length).toBeLessThanOrEqual(MAX_GZIP_BYTES);
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
});
