/**
 * The console's overview numbers, from token usage rows (hour buckets): tokens issued per client
 * and API over time, token-endpoint failures by error code over time, and the clients that ask for
 * far more tokens than their tokens' lifetime needs (they do not cache them).
 *
 * "Needs": in every hour a client got tokens for an API, one caching instance needs
 * ceil(3600 / lifetime) of them (one for a lifetime of an hour or more). `expected` sums that over
 * the client's active hours; `ratio` = issued / expected. Several instances of a caching client
 * multiply the count by their number, so the threshold (`min_ratio`, default 10) is set well above 1.
 */
import { type TokenUsageRow, USAGE_BUCKET_MS } from '../store/audit-log.ts';

/** Bucket widths the stats answer in. */
export type StatsInterval = 'hour' | 'day';
export const INTERVAL_MS: Record<StatsInterval, number> = { hour: USAGE_BUCKET_MS, day: 86_400_000 };

/** Options of `summarizeTokenUsage`. */
export interface TokenStatsOptions {
  /** Inclusive start, a multiple of the interval (ms). */
  from: number;
  /** Exclusive end, a multiple of the interval (ms). */
  to: number;
  interval: StatsInterval;
  minRatio: number;
  /** Client names by id (missing: deleted client, answered as null). */
  clientNames: ReadonlyMap<string, string>;
}

/** The stats answer (`GET /api/v2/stats/tokens`). */
export interface TokenStatsResponse {
  from: string;
  to: string;
  interval: StatsInterval;
  buckets: string[];
  issued: {
    client_id: string;
    client_name: string | null;
    audience: string;
    total: number;
    series: number[];
  }[];
  failures: { error: string; total: number; series: number[] }[];
  not_caching: {
    client_id: string;
    client_name: string | null;
    audience: string;
    issued: number;
    token_lifetime: number;
    expected: number;
    ratio: number;
  }[];
}

/** Summarizes usage rows for the overview. */
export function summarizeTokenUsage(
  rows: readonly TokenUsageRow[],
  opts: TokenStatsOptions,
): TokenStatsResponse {
  const { from, to, interval, minRatio, clientNames } = opts;
  const width = INTERVAL_MS[interval];
  const n = Math.max(0, Math.ceil((to - from) / width));
  const slot = (bucket: number) => Math.floor((bucket - from) / width);
  const issued = new Map<
    string,
    {
      client_id: string;
      audience: string;
      total: number;
      series: number[];
      lifetimeSum: number;
      expected: number;
    }
  >();
  const failures = new Map<string, { error: string; total: number; series: number[] }>();

  for (const row of rows) {
    const i = slot(row.bucket);
    if (i < 0 || i >= n || row.count <= 0) continue;
    if (row.outcome === 'issued') {
      const key = `${row.clientId}\n${row.audience}`;
      let entry = issued.get(key);
      if (entry === undefined) {
        entry = {
          client_id: row.clientId,
          audience: row.audience,
          total: 0,
          series: new Array(n).fill(0),
          lifetimeSum: 0,
          expected: 0,
        };
        issued.set(key, entry);
      }
      entry.total += row.count;
      entry.series[i]! += row.count;
      entry.lifetimeSum += row.lifetimeSum;
      const lifetime = Math.max(1, row.lifetimeSum / row.count);
      entry.expected += Math.ceil(USAGE_BUCKET_MS / 1000 / lifetime);
    } else {
      let entry = failures.get(row.outcome);
      if (entry === undefined) {
        entry = { error: row.outcome, total: 0, series: new Array(n).fill(0) };
        failures.set(row.outcome, entry);
      }
      entry.total += row.count;
      entry.series[i]! += row.count;
    }
  }

  const name = (clientId: string) => clientNames.get(clientId) ?? null;
  const byTotal = <T extends { total: number }>(a: T, b: T) => b.total - a.total;
  const issuedList = [...issued.values()].sort(byTotal);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    interval,
    buckets: Array.from({ length: n }, (_, i) => new Date(from + i * width).toISOString()),
    issued: issuedList.map((e) => ({
      client_id: e.client_id,
      client_name: name(e.client_id),
      audience: e.audience,
      total: e.total,
      series: e.series,
    })),
    failures: [...failures.values()].sort(byTotal),
    not_caching: issuedList
      .map((e) => ({
        client_id: e.client_id,
        client_name: name(e.client_id),
        audience: e.audience,
        issued: e.total,
        token_lifetime: Math.round(e.lifetimeSum / e.total),
        expected: e.expected,
        ratio: Math.round((e.total / e.expected) * 100) / 100,
      }))
      .filter((e) => e.ratio >= minRatio)
      .sort((a, b) => b.ratio - a.ratio),
  };
}
