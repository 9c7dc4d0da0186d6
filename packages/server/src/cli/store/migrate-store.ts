/**
 * The copy behind `gatehouse store migrate`: a whole installation from one store to another, record
 * for record (`StoreTransfer`), then verified. Steps, each reported through `progress`:
 *
 * 1. The key-encryption key must open every signing key of the source: sealed keys are copied as
 *    they are, so the target's servers need the KEK the source's servers use (client secret
 *    hashes depend on it as well). A mismatch stops everything before a single write.
 * 2. The target must be empty, or is erased first with `force`.
 * 3. Every kind is copied in import order, in batches; then the revocation change sequence is moved
 *    up to the source's, so authorizers following the feed keep their cursor.
 *    The audit log and token usage counters follow (`migrate-audit.ts`).
 * 4. Verification: for every kind, the target holds exactly the source's records (counts, and each
 *    record compared field by field through a digest of its canonical JSON).
 *
 * Run it while no server writes to the source (stop them, or hold administrative changes): records
 * written during the copy may be missed, which verification then reports.
 */
import { createHash } from 'node:crypto';
import type { Kek } from '../../keys/kek.ts';
import type { Store } from '../../store/store.ts';
import {
  TRANSFER_KINDS,
  type TransferKind,
  type TransferRecords,
  transferRecordKey,
} from '../../store/store-transfer.ts';
import { CliError } from '../errors.ts';
import { canonicalJson, compareAuditHistory, copyAuditHistory, hasAuditHistory } from './migrate-audit.ts';

/** Words for each kind, in progress lines. */
export const KIND_LABELS: Record<TransferKind, string> = {
  resourceServer: 'APIs (resource servers)',
  client: 'clients (hashed secrets and credentials)',
  clientGrant: 'client grants',
  signingKey: 'signing keys (sealed)',
  revokedToken: 'deny-listed tokens',
  cutoff: 'cut-offs',
  revokedKey: 'revoked keys',
  usedAssertion: 'used assertion ids',
};

/** Raised when the copy cannot start or did not verify. */
export class StoreMigrationError extends CliError {
  override readonly code: string = 'ERR_STORE_MIGRATION';
}

/** Raised when the KEK cannot open the source's signing keys. */
export class KekMismatchError extends StoreMigrationError {
  override readonly code = 'ERR_STORE_MIGRATION_KEK';
}

/** Options of `migrateStore`. */
export interface MigrateStoreOptions {
  source: Store;
  target: Store;
  /** The KEK the servers use; must open the source's sealed signing keys. */
  kek: Kek;
  /** Erase a non-empty target first. */
  force?: boolean;
  /** Records per export and import batch (default 500). */
  batchSize?: number;
  /** Hears each step; lines end without a newline. */
  progress?: (line: string) => void;
  /** Clock for the revocation sequence read and which audit events are live (tests). */
  now?: () => number;
  /** Retention given to copied token-usage rows (GATEHOUSE_AUDIT_RETENTION_DAYS), in ms. */
  auditRetentionMs: number;
}

/** What was copied and verified. */
export interface MigrationReport {
  /** Records copied per kind (equal in source and target after verification). */
  copied: Record<TransferKind, number>;
  /** Audit events and token-usage rows copied. */
  audit: { auditEvents: number; tokenUsage: number };
  /** The revocation change sequence the target continues from. */
  revocationSequence: number;
  /** Whether a non-empty target was erased first. */
  erased: boolean;
  /** How many signing keys the KEK was checked against (0: the source has none). */
  kekCheckedKeys: number;
  verified: true;
}

/** Copies `source` into `target` and verifies the copy. */
export async function migrateStore(opts: MigrateStoreOptions): Promise<MigrationReport> {
  const { source, target, kek, force = false, batchSize = 500, progress = () => {} } = opts;
  const now = opts.now ?? Date.now;

  progress('checking the key-encryption key against the source signing keys...');
  const kekCheckedKeys = await assertKekOpensSource(source, kek);
  progress(
    kekCheckedKeys === 0
      ? 'warning: the source has no signing keys, so the key-encryption key could not be checked'
      : `key-encryption key ${kek.id} opens all ${kekCheckedKeys} signing key(s) of the source`,
  );

  const occupied: string[] = (await occupiedKinds(target)).map((k) => KIND_LABELS[k]);
  if (await hasAuditHistory(target, now())) occupied.push('audit history');
  let erased = false;
  if (occupied.length > 0) {
    if (!force) {
      throw new StoreMigrationError(
        `the target store is not empty (it holds ${occupied.join(', ')}); ` +
          'nothing was copied. Pass --force to erase everything in it first',
      );
    }
    progress(`--force: erasing the target store (it holds ${occupied.join(', ')})...`);
    await target.eraseAll();
    erased = true;
  }

  const copied = Object.fromEntries(TRANSFER_KINDS.map((k) => [k, 0])) as Record<TransferKind, number>;
  for (const kind of TRANSFER_KINDS) {
    progress(`copying ${KIND_LABELS[kind]}...`);
    let lastReport = 0;
    for await (const batch of source.exportRecords(kind, batchSize)) {
      await target.importRecords(kind, batch);
      copied[kind] += batch.length;
      if (copied[kind] - lastReport >= 10_000) {
        lastReport = copied[kind];
        progress(`  ${copied[kind]} ${KIND_LABELS[kind]} so far`);
      }
    }
    progress(`  copied ${copied[kind]} ${KIND_LABELS[kind]}`);
  }
  progress('copying the audit log and token usage counters...');
  const audit = await copyAuditHistory(source, target, { now: now(), retentionMs: opts.auditRetentionMs });
  progress(`  copied ${audit.auditEvents} audit events and ${audit.tokenUsage} token usage rows`);
  const latest = async (store: Store) =>
    (await store.listRevocationChanges({ sinceSeq: Number.MAX_SAFE_INTEGER, now: now() })).latestSeq;
  const sourceSeq = await latest(source);
  await target.advanceRevocationSequence(sourceSeq);
  progress(`revocation change sequence continues after ${sourceSeq}`);

  progress('verifying the copy record by record...');
  const problems: string[] = [];
  for (const kind of TRANSFER_KINDS) {
    const found = await compareKind(source, target, kind, batchSize);
    problems.push(...found);
    if (found.length === 0) progress(`  ${KIND_LABELS[kind]}: ${copied[kind]} identical`);
  }
  const auditProblems = await compareAuditHistory(source, target, now());
  problems.push(...auditProblems);
  if (auditProblems.length === 0)
    progress(`  audit history: ${audit.auditEvents} events, ${audit.tokenUsage} usage rows identical`);
  const targetSeq = await latest(target);
  if (targetSeq < sourceSeq) {
    problems.push(
      `the target's revocation change sequence (${targetSeq}) is behind the source's (${sourceSeq})`,
    );
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10);
    throw new StoreMigrationError(
      `the copy does not match the source: ${shown.join('; ')}${problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''}. ` +
        'Was a server writing to the source? Stop it and run the command again with --force',
    );
  }
  progress('verified: the target holds exactly the records of the source');
  return { copied, audit, revocationSequence: sourceSeq, erased, kekCheckedKeys, verified: true };
}

/** Opens every signing key of the source with the KEK; answers how many. */
async function assertKekOpensSource(source: Store, kek: Kek): Promise<number> {
  let checked = 0;
  for await (const batch of source.exportRecords('signingKey', 100)) {
    for (const key of batch) {
      try {
        kek.open(key.encryptedPrivateKey, key.kid);
      } catch {
        throw new KekMismatchError(
          `the key-encryption key given (id ${kek.id}) cannot open signing key ${key.kid} of the source store: ` +
            'it was sealed under another KEK. Run the command with the KEK the source servers use ' +
            '(GATEHOUSE_KEK, or --kek-dir naming their data directory); the target servers must use the same one. ' +
            'Nothing was copied',
        );
      }
      checked += 1;
    }
  }
  return checked;
}

/** The kinds of which the store holds at least one record. */
async function occupiedKinds(store: Store): Promise<TransferKind[]> {
  const occupied: TransferKind[] = [];
  for (const kind of TRANSFER_KINDS) {
    for await (const batch of store.exportRecords(kind, 1)) {
      if (batch.length > 0) occupied.push(kind);
      break;
    }
  }
  return occupied;
}

/** Differences between the source's and the target's records of one kind, by key (never by value). */
async function compareKind(
  source: Store,
  target: Store,
  kind: TransferKind,
  batchSize: number,
): Promise<string[]> {
  const expected = new Map<string, string>();
  for await (const batch of source.exportRecords(kind, batchSize)) {
    for (const r of batch) expected.set(transferRecordKey(kind, r), digest(r));
  }
  const problems: string[] = [];
  let extra = 0;
  let differing = 0;
  for await (const batch of target.exportRecords(kind, batchSize)) {
    for (const r of batch as TransferRecords[typeof kind][]) {
      const key = transferRecordKey(kind, r);
      const want = expected.get(key);
      if (want === undefined) extra += 1;
      else if (want !== digest(r)) differing += 1;
      expected.delete(key);
    }
  }
  const label = KIND_LABELS[kind];
  if (expected.size > 0) problems.push(`${expected.size} of the source's ${label} missing from the target`);
  if (extra > 0) problems.push(`${extra} ${label} in the target that the source does not have`);
  if (differing > 0) problems.push(`${differing} ${label} differ between source and target`);
  return problems;
}

/** SHA-256 of a value's canonical JSON (object keys sorted, at every depth). */
function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}
