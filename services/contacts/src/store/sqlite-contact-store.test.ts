import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createContactId } from '../contacts/contact-id.ts';
import { runContactStoreContract } from './contact-store-contract.ts';
import { createSqliteContactStore, SQLITE_FILE_NAME } from './sqlite-contact-store.ts';

const root = mkdtempSync(join(tmpdir(), 'contacts-sqlite-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

runContactStoreContract('sqlite', async () => ({
  store: createSqliteContactStore({ file: join(root, `t${n++}`, SQLITE_FILE_NAME) }),
}));

describe('SQLite contact store', () => {
  it('keeps contacts in a WAL-mode file that a second opening sees', async () => {
    const file = join(root, 'reopen', SQLITE_FILE_NAME);
    const a = createSqliteContactStore({ file });
    const id = createContactId();
    await a.insert({ id, name: 'persisted', checked: true, createdAt: 1, updatedAt: 1, version: 1 });
    await a.close();
    const b = createSqliteContactStore({ file });
    expect((await b.get(id))?.name).toBe('persisted');
    await b.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('lets exactly one of two processes sharing the file win a conditional write', async () => {
    const file = join(root, 'shared', SQLITE_FILE_NAME);
    const a = createSqliteContactStore({ file });
    const b = createSqliteContactStore({ file });
    const id = createContactId();
    await a.insert({ id, name: 'shared', checked: false, createdAt: 1, updatedAt: 1, version: 1 });
    await a.replace(id, { name: 'from a', checked: false, updatedAt: 2 }, 1);
    await expect(b.replace(id, { name: 'from b', checked: true, updatedAt: 3 }, 1)).rejects.toThrow(
      /changed/,
    );
    expect((await b.get(id))?.name).toBe('from a');
    await a.close();
    await b.close();
  });
});
