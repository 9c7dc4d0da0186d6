/**
 * The audit log and token-usage counters (`store/audit-log.ts`) in `gatehouse store migrate`: copied
 * and verified through the `AuditLogStore` port itself, since they are append-only history rather
 * than state. Events past their retention are left behind (they are no longer answered anyway).
 * A copied usage row gets its retention from `GATEHOUSE_AUDIT_RETENTION_DAYS`, counted from its
 * bucket, as the server's own flush would.
 */
import { createHash } from 'node:crypto';
import type { AuditEventRecord, TokenUsageRow } from '../../store/audit-log.ts';
import type { Store } from '../../store/store.ts';

const PAGE = 100;
/** Events written at a time. */
const PARALLEL_WRITES = 8;

/** Every live audit event, oldest first, a page at a time. */
async function* auditEvents(store: Store, now: number): AsyncGenerator<AuditEventRecord[]> {
  for (let page = 0; ; page += 1) {
    const { items } = await store.listAuditEvents({
      page,
      perPage: PAGE,
      now,
      order: 'asc',
      countTotal: false,
    });
    if (items.length > 0) yield items;
    if (items.length < PAGE) return;
  }
}

const usageKey = (r: TokenUsageRow) => `${r.bucket}\u0000${r.clientId}\u0000${r.audience}\u0000${r.outcome}`;

async function allUsage(store: Store): Promise<TokenUsageRow[]> {
  return store.listTokenUsage({ from: 0, to: Number.MAX_SAFE_INTEGER });
}

/** Whether the store holds any audit event or usage row. */
export async function hasAuditHistory(store: Store, now: number): Promise<boolean> {
  const { items } = await store.listAuditEvents({ page: 0, perPage: 1, now, countTotal: false });
  return items.length > 0 || (await allUsage(store)).length > 0;
}

/** Copies the audit log and usage counters; answers how many of each. */
export async function copyAuditHistory(
  source: Store,
  target: Store,
  opts: { now: number; retentionMs: number },
): Promise<{ auditEvents: number; tokenUsage: number }> {
  let events = 0;
  for await (const page of auditEvents(source, opts.now)) {
    for (let i = 0; i < page.length; i += PARALLEL_WRITES) {
      await Promise.all(page.slice(i, i + PARALLEL_WRITES).map((e) => target.appendAuditEvent(e)));
    }
    events += page.length;
  }
  const usage = await allUsage(source);
  for (let i = 0; i < usage.length; i += 500) {
    await target.addTokenUsage(
      usage.slice(i, i + 500).map((r) => ({ ...r, expiresAt: r.bucket + opts.retentionMs })),
    );
  }
  return { auditEvents: events, tokenUsage: usage.length };
}

/** Differences between source and target history, by count (never by value). */
export async function compareAuditHistory(source: Store, target: Store, now: number): Promise<string[]> {
  const problems: string[] = [];
  const digests = new Map<string, string>();
  for await (const page of auditEvents(source, now)) for (const e of page) digests.set(e.id, digest(e));
  let extra = 0;
  let differing = 0;
  for await (const page of auditEvents(target, now)) {
    for (const e of page) {
      const want = digests.get(e.id);
      if (want === undefined) extra += 1;
      else if (want !== digest(e)) differing += 1;
      digests.delete(e.id);
    }
  }
  if (digests.size > 0) problems.push(`${digests.size} of the source's audit events missing from the target`);
  if (extra > 0) problems.push(`${extra} audit events in the target that the source does not have`);
  if (differing > 0) problems.push(`${differing} audit events differ between source and target`);

  const rows = new Map((await allUsage(source)).map((r) => [usageKey(r), `${r.count}/${r.lifetimeSum}`]));
  let usageDiffers = 0;
  for (const r of await allUsage(target)) {
    if (rows.get(usageKey(r)) !== `${r.count}/${r.lifetimeSum}`) usageDiffers += 1;
    rows.delete(usageKey(r));
  }
  if (usageDiffers + rows.size > 0) {
    problems.push(`${usageDiffers + rows.size} token usage rows differ between source and target`);
  }
  return problems;
}

function digest(e: AuditEventRecord): string {
  return createHash('sha256').update(canonicalJson(e)).digest('base64url');
}

/** JSON with object keys sorted at every depth (jsonb and DynamoDB do not keep key order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
