/**
 * Every test server checks, when it closes, that no secret it saw created appears in what it left
 * behind: its log lines and its SQLite store files. So the whole test run is scanned, one server
 * at a time, for the secrets and tokens the suites made (issue 11: "scans every log line ... and
 * store file produced by the whole test run"). A leak fails the suite that caused it; the error
 * names the kind of secret and where it was found, never the secret itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a test server knows was secret, by kind (`client secret`, `access token`, ...). */
export interface SecretLedger {
  add(kind: string, value: string | undefined): void;
  /** Records `client_secret` and `access_token` found in a JSON answer. */
  addFromAnswer(body: unknown): void;
  /** Throws if any recorded secret is in `logs` or in the SQLite files of `dataDir`. */
  assertNotLeaked(logs: readonly string[], dataDir: string): Promise<void>;
}

/** Creates an empty ledger. */
export function createSecretLedger(): SecretLedger {
  const secrets = new Map<string, string>();
  const ledger: SecretLedger = {
    add(kind, value) {
      // Short values would match by chance; every real secret and token is far longer.
      if (typeof value === 'string' && value.length >= 16) secrets.set(value, kind);
    },
    addFromAnswer(body) {
      if (typeof body !== 'object' || body === null) return;
      const record = body as Record<string, unknown>;
      if (typeof record.client_secret === 'string') ledger.add('client secret', record.client_secret);
      if (typeof record.access_token === 'string') ledger.add('access token', record.access_token);
    },
    async assertNotLeaked(logs, dataDir) {
      const found: string[] = [];
      const text = logs.join('\n');
      const files = await readStoreFiles(dataDir);
      for (const [value, kind] of secrets) {
        if (text.includes(value)) found.push(`${kind} in the server log`);
        const bytes = Buffer.from(value);
        for (const [name, content] of files) {
          if (content.includes(bytes)) found.push(`${kind} in the store file ${name}`);
        }
      }
      if (found.length > 0) throw new Error(`secret leak: ${[...new Set(found)].join('; ')}`);
    },
  };
  return ledger;
}

async function readStoreFiles(dataDir: string): Promise<Array<[string, Buffer]>> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch {
    return [];
  }
  const out: Array<[string, Buffer]> = [];
  for (const name of names) {
    if (!/\.(db|sqlite)(-wal)?$/.test(name)) continue;
    out.push([name, await readFile(join(dataDir, name))]);
  }
  return out;
}
