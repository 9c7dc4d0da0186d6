import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProductIssuer, startProductIssuer } from '../../../../test/issuers/product-issuers.ts';
import { contactsPolicy } from '../testing/adapter-contract.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/bundle-lambda.mjs', import.meta.url).pathname;
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const API = 'https://contacts.example.com';
const clients = [{ id: '4example1clientid', secret: 'x', scopes: ['read:contacts'] }];

let cognito: ProductIssuer;
let auth0: ProductIssuer;
let lambdaDir: string;

/** Runs the bundled handler in a fresh `node` process (no node_modules above it) with `env`. */
async function invoke(event: unknown, env: Record<string, string>) {
  const program = `import('./index.mjs').then(async (m) => {
    try { process.stdout.write(JSON.stringify(await m.handler(JSON.parse(process.env.EVENT)))); }
    catch (e) { process.stdout.write(JSON.stringify({ thrown: e.message })); }
  }, (e) => process.stdout.write(JSON.stringify({ init: e.message })))`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], {
    cwd: lambdaDir,
    env: {
      PATH: process.env.PATH ?? '',
      AUTHORIZER_POLICY: JSON.stringify(contactsPolicy),
      EVENT: JSON.stringify(event),
      ...env,
    },
  });
  const lines = stdout.split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

const tokenEvent = (token: string, path: string) => ({
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: `${ARN}/${path}`,
});

beforeAll(async () => {
  cognito = await startProductIssuer('cognito', { audience: API, clients });
  auth0 = await startProductIssuer('auth0', { audience: API, clients });
  lambdaDir = await mkdtemp(join(tmpdir(), 'gatehouse-lambda-profiles-'));
  await run(process.execPath, [
    '--input-type=module',
    '-e',
    `import(${JSON.stringify(SCRIPT)}).then((m) => m.bundleLambda(${JSON.stringify(lambdaDir)}))`,
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([cognito.close(), auth0.close()]);
  await rm(lambdaDir, { recursive: true, force: true });
});

describe('the bundled Lambda authorizer with another issuer profile', () => {
  const cognitoEnv = () => ({
    GATEHOUSE_ISSUER: cognito.issuer,
    AUTHORIZER_ISSUER_PROFILE: 'cognito',
    AUTHORIZER_AUDIENCE: '4example1clientid,another-app-client',
    AUTHORIZER_RESOURCE_SERVER: API,
  });

  it('allows a Cognito client-credentials token by its mapped scope, and denies the write route', async () => {
    const token = cognito.mint('4example1clientid');
    expect(await invoke(tokenEvent(token, 'GET/contacts/7'), cognitoEnv())).toMatchObject({
      principalId: '4example1clientid',
      context: { client_id: '4example1clientid', scope: 'read:contacts' },
    });
    const write = await invoke(tokenEvent(token, 'POST/contacts'), cognitoEnv());
    const statements = (write.policyDocument as { Statement: Array<{ Effect: string; Resource: string[] }> })
      .Statement;
    expect(statements.find((s) => s.Effect === 'Allow')?.Resource ?? []).not.toContain(
      `${ARN}/POST/contacts`,
    );
  });

  it('throws Unauthorized for a Cognito ID token and for an app client outside AUTHORIZER_AUDIENCE', async () => {
    const id = cognito.mint('4example1clientid', { token_use: 'id' });
    expect(await invoke(tokenEvent(id, 'GET/contacts'), cognitoEnv())).toEqual({ thrown: 'Unauthorized' });
    const stranger = cognito.mint('4example1clientid', { client_id: 'stranger', sub: 'stranger' });
    expect(await invoke(tokenEvent(stranger, 'GET/contacts'), cognitoEnv())).toEqual({
      thrown: 'Unauthorized',
    });
  });

  it('allows an Auth0 M2M token with AUTHORIZER_ISSUER_PROFILE=auth0', async () => {
    const env = {
      GATEHOUSE_ISSUER: auth0.issuer,
      AUTHORIZER_ISSUER_PROFILE: 'auth0',
      AUTHORIZER_AUDIENCE: API,
    };
    expect(await invoke(tokenEvent(auth0.mint('4example1clientid'), 'GET/contacts'), env)).toMatchObject({
      principalId: '4example1clientid',
    });
  });

  it('fails its init with a message naming the variable for a setting of another profile', async () => {
    const env = {
      GATEHOUSE_ISSUER: auth0.issuer,
      AUTHORIZER_ISSUER_PROFILE: 'auth0',
      AUTHORIZER_AUDIENCE: API,
      AUTHORIZER_RESOURCE_SERVER: API,
    };
    const result = await invoke(tokenEvent('x', 'GET/contacts'), env);
    expect(String(result.init)).toContain(
      'AUTHORIZER_RESOURCE_SERVER applies to the cognito issuer profile only',
    );
  });
});
