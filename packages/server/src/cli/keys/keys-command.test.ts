import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/run-cli.ts';
import { ageNextSigningKeys, startTestServer, type TestServer } from '../../testing/start-test-server.ts';

interface Key {
  kid: string;
  alg: string;
  current: boolean;
  next: boolean;
  revoked: boolean;
  current_since?: string;
}

describe('gatehouse keys rotate|revoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const keys = async () => JSON.parse((await runCli(server, ['keys', 'list', '--json'])).stdout) as Key[];

  it('rotates to the next key and says when it signs: later when published just now, else at once', async () => {
    const young = (await keys()).find((k) => k.next && k.alg === 'RS256')!;
    const later = await runCli(server, ['keys', 'rotate']);
    expect(later.code, later.stderr).toBe(0);
    const since = (await keys()).find((k) => k.kid === young.kid)?.current_since;
    expect(Date.parse(since!)).toBeGreaterThan(Date.now());
    expect(later.stdout).toBe(
      `Rotated the RS256 signing key: ${young.kid} signs from ${since}, once it has been published long enough for every instance and verifier to hold it; the previous key signs until then and stays published until its tokens expire.`,
    );

    await ageNextSigningKeys(server);
    const next = (await keys()).find((k) => k.next && k.alg === 'RS256')!;
    const run = await runCli(server, ['keys', 'rotate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `Rotated the RS256 signing key: ${next.kid} signs from now on; the previous key stays published until its tokens expire.`,
    );
    expect((await keys()).find((k) => k.kid === next.kid)?.current).toBe(true);
    const json = await runCli(server, ['keys', 'rotate', '--alg', 'RS256', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ kid: expect.any(String) });
    expect((await runCli(server, ['keys', 'rotate', '--alg', 'HS256'])).code).toBe(2);
  });

  it('says the rotation is done when it may rotate but not read keys to tell when the new key signs', async () => {
    const rotator = await server.createManagementClient(['create:signing_keys'], 'rotator');
    const run = await runCli(server, [
      'keys',
      'rotate',
      '--alg',
      'ES256',
      '--client-id',
      rotator.clientId,
      '--client-secret',
      rotator.clientSecret,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const current = (await keys()).find((k) => k.current && k.alg === 'ES256')!;
    expect(run.stdout).toBe(
      `Rotated the ES256 signing key: ${current.kid} is current (\`gatehouse keys list\` shows when it signs); the previous key stays published until its tokens expire.`,
    );
  });

  it('revokes a key by kid, even the current one, and 404s an unknown one', async () => {
    const current = (await keys()).find((k) => k.current && k.alg === 'RS256')!;
    const run = await runCli(server, ['keys', 'revoke', current.kid]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Revoked signing key ${current.kid}; tokens it signed are no longer accepted.`);
    const after = await keys();
    expect(after.find((k) => k.kid === current.kid)?.revoked).toBe(true);
    expect(after.filter((k) => k.current && k.alg === 'RS256')).toHaveLength(1);
    const table = await runCli(server, ['keys', 'list']);
    expect(table.stdout).toMatch(new RegExp(`${current.kid}\\s+RS256\\s+revoked`));
    for (const kid of ['nosuchkid', '-q4HjTv_j89gl_afCD-csJl_HegbCMcldQRF50dV6iE']) {
      // One thumbprint kid in 64 begins with '-': it is taken as the kid, not as an unknown option.
      const unknown = await runCli(server, ['keys', 'revoke', kid, '--json']);
      expect(unknown.code, unknown.stderr).toBe(1);
      expect(unknown.stderr).toMatch(
        /404 Not Found: The signing key does not exist \[inexistent_signing_key\]/,
      );
    }
  });
});
