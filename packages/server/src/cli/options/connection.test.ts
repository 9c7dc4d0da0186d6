import { describe, expect, it } from 'vitest';
import { parseCliEnvironment } from '../config.ts';
import { CliUsageError } from '../errors.ts';
import { DEFAULT_ISSUER, resolveConnection, resolveIssuer } from './connection.ts';

const noEnv = parseCliEnvironment({});

describe('resolveConnection', () => {
  it('prefers flags over the environment', async () => {
    const env = parseCliEnvironment({
      GATEHOUSE_ISSUER: 'https://env.example/',
      GATEHOUSE_ADMIN_CLIENT_ID: 'env-id',
      GATEHOUSE_ADMIN_CLIENT_SECRET: 'env-secret',
    });
    await expect(
      resolveConnection(
        { issuer: 'https://flag.example/', clientId: 'flag-id', clientSecret: 'flag-secret' },
        env,
      ),
    ).resolves.toEqual({ issuer: 'https://flag.example/', clientId: 'flag-id', clientSecret: 'flag-secret' });
  });

  it('falls back to the environment, normalising the issuer', async () => {
    const env = parseCliEnvironment({
      GATEHOUSE_ISSUER: 'https://env.example',
      GATEHOUSE_ADMIN_CLIENT_ID: 'env-id',
      GATEHOUSE_ADMIN_CLIENT_SECRET: 'env-secret',
    });
    await expect(resolveConnection({}, env)).resolves.toEqual({
      issuer: 'https://env.example/',
      clientId: 'env-id',
      clientSecret: 'env-secret',
    });
  });

  it('says which credential is missing, naming flag and variable', async () => {
    await expect(resolveConnection({ clientId: 'x' }, noEnv)).rejects.toThrow(
      /--client-secret \(or GATEHOUSE_ADMIN_CLIENT_SECRET\)/,
    );
    await expect(resolveConnection({}, noEnv)).rejects.toBeInstanceOf(CliUsageError);
  });

  it('treats empty variables as unset', async () => {
    const env = parseCliEnvironment({ GATEHOUSE_ADMIN_CLIENT_ID: ' ', GATEHOUSE_ADMIN_CLIENT_SECRET: '' });
    await expect(resolveConnection({}, env)).rejects.toThrow(/GATEHOUSE_ADMIN_CLIENT_ID/);
  });
});

describe('resolveIssuer', () => {
  it('defaults to the documented local issuer', () => {
    expect(resolveIssuer(undefined, noEnv)).toBe(DEFAULT_ISSUER);
  });

  it('names GATEHOUSE_ISSUER when it is not a URL', () => {
    expect(() => resolveIssuer(undefined, parseCliEnvironment({ GATEHOUSE_ISSUER: 'localhost' }))).toThrow(
      /GATEHOUSE_ISSUER is not a valid issuer URL/,
    );
  });
});
