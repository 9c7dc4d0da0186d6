import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClientGrantId } from '../ids.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { sampleClient, sampleResourceServer } from '../store/store-contract.ts';
import { createSecretHasher, generateClientSecret, secretId } from './client-secret.ts';
import { KEK_FILE_NAME, loadKek } from './kek.ts';
import { createKeyRing } from './key-ring.ts';
import { SIGNING_ALGS } from './signing-key.ts';

/** Every byte the store wrote: the database file and any -wal / -shm beside it. */
async function readStoreBytes(dir: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f !== KEK_FILE_NAME);
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

describe('secrets at rest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-at-rest-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps no private key and no client secret in the store file, in any encoding', async () => {
    const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    const kek = await loadKek({ dataDir: dir });
    const ring = createKeyRing({ store, kek });
    const hasher = createSecretHasher(kek.deriveKey('client-secret'));

    const secrets = [generateClientSecret(), generateClientSecret()];
    const rs = await store.createResourceServer(sampleResourceServer());
    const client = await store.createClient(
      sampleClient({
        secrets: secrets.map((s) => ({
          id: secretId(hasher.hash(s)),
          hash: hasher.hash(s),
          createdAt: 1,
          expiresAt: null,
        })),
      }),
    );
    await store.createClientGrant({
      id: createClientGrantId(),
      clientId: client.clientId,
      audience: rs.identifier,
      scope: [],
      tokenLifetime: null,
    });
    for (const alg of SIGNING_ALGS) await ring.ensureSigningKey(alg);

    const needles: Buffer[] = [];
    for (const s of secrets) needles.push(Buffer.from(s), Buffer.from(s, 'base64url'));
    for (const alg of SIGNING_ALGS) {
      const { privateKey } = await ring.getSigner(alg);
      const der = privateKey.export({ type: 'pkcs8', format: 'der' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const d = privateKey.export({ format: 'jwk' }).d!;
      const pemBody = pem.split('\n').slice(1, 3).join('');
      // The whole DER, its base64 body (as in a PEM), the JWK `d` and its raw bytes.
      needles.push(der, Buffer.from(pemBody), Buffer.from(d), Buffer.from(d, 'base64url'));
      expect(createPrivateKey(pem).asymmetricKeyType).toBe(privateKey.asymmetricKeyType);
    }

    const assertClean = async (): Promise<void> => {
      const bytes = await readStoreBytes(dir);
      expect(bytes.length).toBeGreaterThan(4096);
      for (const n of needles) expect(bytes.includes(n)).toBe(false);
      expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    };
    await assertClean(); // with the -wal file live
    await store.close();
    await assertClean(); // after the checkpoint into the main file

    // The needles are real: the store does hold the things derived from them.
    const bytes = await readStoreBytes(dir);
    expect(bytes.includes(Buffer.from(hasher.hash(secrets[0]!)))).toBe(true);
    expect(bytes.includes(Buffer.from(client.clientId))).toBe(true);
  });
});
