import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runAuditLogContract, sampleAuditEvent } from './audit-log-contract.ts';
import { createSqliteAuditLog } from './sqlite-audit-log.ts';
import { createSqliteStore } from './sqlite-store.ts';

runAuditLogContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
  const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite audit log', () => {
  it('keeps its events when the store file is opened again, and creates its schema idempotently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
    try {
      const file = join(dir, 'gatehouse.db');
      const event = sampleAuditEvent(Date.UTC(2026, 0, 1));
      const first = createSqliteStore({ file });
      await first.appendAuditEvent(event);
      await first.close();
      const db = new Database(file);
      const again = createSqliteAuditLog(db);
      expect(await again.getAuditEvent(event.id, event.at)).toEqual(event);
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
