import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretLedger } from './secret-scan.ts';

const SECRET = 'Zq3_very-secret-client-secret-value-0123456789';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('the secret ledger of a test server', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-scan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes when no recorded secret is in the logs or the store files', async () => {
    const ledger = createSecretLedger();
    ledger.add('client secret', SECRET);
    await writeFile(join(dir, 'gatehouse.db'), 'hashed only: 9f86d081884c7d659a2feaa0c55ad015');
    await expect(
      ledger.assertNotLeaked(['{"msg":"token issued","client_id":"abc"}'], dir),
    ).resolves.toBeUndefined();
  });

  it('names the kind and the place of a secret found in a log line, never the secret', async () => {
    const ledger = createSecretLedger();
    ledger.addFromAnswer({ client_id: 'abc', client_secret: SECRET });
    const failure = ledger.assertNotLeaked([`{"msg":"created","body":"${SECRET}"}`], dir);
    await expect(failure).rejects.toThrow('secret leak: client secret in the server log');
    await expect(failure).rejects.not.toThrow(SECRET);
  });

  it('finds a token in a SQLite file or its write-ahead log', async () => {
    const ledger = createSecretLedger();
    ledger.addFromAnswer({ access_token: TOKEN, token_type: 'Bearer' });
    await writeFile(
      join(dir, 'gatehouse.db-wal'),
      Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(TOKEN)]),
    );
    await expect(ledger.assertNotLeaked([], dir)).rejects.toThrow(
      'access token in the store file gatehouse.db-wal',
    );
  });

  it('ignores values too short to be a secret', async () => {
    const ledger = createSecretLedger();
    ledger.add('client secret', 'abc');
    await expect(ledger.assertNotLeaked(['abc'], dir)).resolves.toBeUndefined();
  });
});
