import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidClient, InvalidRequest } from '../http/errors.ts';
import { createSecretHasher, type SecretHasher } from '../keys/client-secret.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { sampleClient } from '../store/store-contract.ts';
import { createClientAuthenticator, parseClientCredentials } from './client-authentication.ts';
import { createTokenReadCache } from './token-read-cache.ts';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('parseClientCredentials', () => {
  it('form-url-decodes the Basic id and secret (RFC 6749 2.3.1)', () => {
    expect(parseClientCredentials(basic('my%3Aclient:s%2Bcr+t%25'), {})).toEqual({
      clientId: 'my:client',
      clientSecret: 's+cr t%',
      method: 'client_secret_basic',
    });
  });

  it('accepts the scheme in any case', () => {
    expect(parseClientCredentials(`bAsIc ${Buffer.from('a:b').toString('base64')}`, {}).clientId).toBe('a');
  });

  it('reads client_secret_post', () => {
    expect(parseClientCredentials(undefined, { client_id: 'a', client_secret: 'b' })).toEqual({
      clientId: 'a',
      clientSecret: 'b',
      method: 'client_secret_post',
    });
  });

  it('refuses two methods with invalid_request and none with invalid_client plus a Basic challenge', () => {
    expect(() => parseClientCredentials(basic('a:b'), { client_secret: 'b' })).toThrow(InvalidRequest);
    expect(() => parseClientCredentials(undefined, { client_secret: 'b' })).toThrow(InvalidRequest);
    try {
      parseClientCredentials(undefined, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidClient);
      expect((err as InvalidClient).challenge).toMatch(/^Basic realm=/);
    }
  });

  it('refuses malformed Basic credentials with invalid_client and a challenge', () => {
    for (const header of [
      'Basic',
      'Basic ',
      'Basic ***',
      basic('nocolon'),
      basic(':b'),
      basic('a:'),
      basic('%G1:b'),
      'Digest x',
    ]) {
      try {
        parseClientCredentials(header, {});
        expect.unreachable(header);
      } catch (err) {
        expect(err, header).toBeInstanceOf(InvalidClient);
        expect((err as InvalidClient).challenge, header).toBeDefined();
      }
    }
  });
});

describe('createClientAuthenticator with the token read cache', () => {
  /** A real SQLite store and a real hasher whose verify calls are counted. */
  async function setup() {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-client-auth-'));
    const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    const real = createSecretHasher(randomBytes(32));
    let verifies = 0;
    const hasher: SecretHasher = {
      hash: real.hash,
      verify: (secret, hash) => {
        verifies++;
        return real.verify(secret, hash);
      },
    };
    const secret = 'a-generated-secret-of-enough-length-0123456789';
    const client = await store.createClient(
      sampleClient({
        secrets: [{ id: 's1', hash: real.hash(secret), createdAt: Date.now(), expiresAt: null }],
      }),
    );
    const authenticator = createClientAuthenticator({ store, hasher });
    const cache = createTokenReadCache(store);
    const credentials = (clientSecret: string) =>
      ({ clientId: client.clientId, clientSecret, method: 'client_secret_basic' }) as const;
    return {
      store,
      client,
      secret,
      cache,
      credentials,
      verifies: () => verifies,
      authenticate: (clientSecret: string, cached = true) =>
        authenticator.authenticate(credentials(clientSecret), {
          endpoint: 'http://127.0.0.1/oauth/token',
          reads: cached ? cache.snapshot() : undefined,
        }),
      async close() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  it('verifies a cached client’s secret in full once, then by its remembered digest until the client changes', async () => {
    const t = await setup();
    try {
      await t.authenticate(t.secret);
      expect(t.verifies()).toBe(1);
      await t.authenticate(t.secret);
      await t.authenticate(t.secret);
      expect(t.verifies()).toBe(1);
      await t.store.updateClient(t.client.clientId, { description: 'changed' });
      await t.authenticate(t.secret);
      expect(t.verifies()).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('refuses a wrong secret after a remembered right one, verifying it in full', async () => {
    const t = await setup();
    try {
      await t.authenticate(t.secret);
      await expect(t.authenticate(`${t.secret}x`)).rejects.toBeInstanceOf(InvalidClient);
      expect(t.verifies()).toBe(2);
      await t.store.updateClient(t.client.clientId, { disabled: true });
      await expect(t.authenticate(t.secret)).rejects.toBeInstanceOf(InvalidClient);
    } finally {
      await t.close();
    }
  });

  it('remembers nothing for a client read from the store directly', async () => {
    const t = await setup();
    try {
      await t.authenticate(t.secret, false);
      await t.authenticate(t.secret, false);
      expect(t.verifies()).toBe(2);
    } finally {
      await t.close();
    }
  });
});
