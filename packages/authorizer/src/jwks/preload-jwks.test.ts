import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createJwksCache } from './jwks-cache.ts';
import { fetchPreloadJwks } from './preload-jwks.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/gatehouse-authorizer.mjs', import.meta.url).pathname;

describe('the JWKS to preload (gatehouse-authorizer jwks)', () => {
  let idp: TestIssuer;

  beforeAll(async () => {
    idp = await startTestIssuer();
    const { RS256, ES256 } = idp.keys;
    idp.setJwks([
      { ...RS256.jwk, x5c: ['MIIC...certificate'], x5t: 'thumbprint' },
      ES256.jwk,
      { ...RS256.jwk, kid: 'enc-key', use: 'enc', alg: 'RSA-OAEP' },
    ]);
  });

  afterAll(async () => {
    await idp.close();
  });

  it('keeps the keys a verifier uses, with the members it reads, and names the others', async () => {
    const { jwks, skipped } = await fetchPreloadJwks({ issuer: idp.issuer });
    expect(jwks.keys.map((k) => k.kid)).toEqual([idp.keys.RS256.kid, idp.keys.ES256.kid]);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(skipped).toEqual([{ kid: 'enc-key', reason: 'use' }]);
    // what it prints passes the verifier's strict check of preloaded keys
    expect(() => createJwksCache({ issuer: idp.issuer, keys: jwks.keys }).close()).not.toThrow();
  });

  it('prints it as one line of JSON from the command line', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'jwks', '--issuer', idp.issuer], {
      env: { PATH: process.env.PATH ?? '' },
    });
    expect((JSON.parse(stdout) as { keys: unknown[] }).keys).toHaveLength(2);
    expect(stderr).toContain('key "enc-key" left out (use)');
  });

  it('fails when the issuer publishes no key it can use', async () => {
    const other = await startTestIssuer();
    other.setJwks([{ kty: 'oct', kid: 'secret', k: 'c2VjcmV0' }]);
    try {
      await expect(fetchPreloadJwks({ issuer: other.issuer })).rejects.toThrow(
        /no key gatehouse verifies with/,
      );
    } finally {
      await other.close();
    }
  });
});
