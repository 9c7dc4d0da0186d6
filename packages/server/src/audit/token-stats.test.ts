import { describe, expect, it } from 'vitest';
import type { TokenUsageRow } from '../store/audit-log.ts';
import { summarizeTokenUsage } from './token-stats.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2026, 0, 10);
const row = (
  hour: number,
  clientId: string,
  outcome: string,
  count: number,
  lifetime = 0,
): TokenUsageRow => ({
  bucket: FROM + hour * HOUR,
  clientId,
  audience: outcome === 'issued' ? 'https://api/' : '',
  outcome,
  count,
  lifetimeSum: count * lifetime,
});

describe('summarizeTokenUsage', () => {
  const rows = [
    row(0, 'cacher', 'issued', 1, 3600),
    row(5, 'cacher', 'issued', 1, 3600),
    row(0, 'spammer', 'issued', 300, 300),
    row(1, 'spammer', 'issued', 100, 300),
    row(0, '', 'invalid_client', 4),
    row(30, 'late', 'issued', 9, 60),
  ];

  it('answers series aligned with the buckets and orders by total', () => {
    const out = summarizeTokenUsage(rows, {
      from: FROM,
      to: FROM + 6 * HOUR,
      interval: 'hour',
      minRatio: 10,
      clientNames: new Map([['spammer', 'Spammer']]),
    });
    expect(out.buckets).toHaveLength(6);
    expect(out.buckets[1]).toBe(new Date(FROM + HOUR).toISOString());
    expect(out.issued).toEqual([
      {
        client_id: 'spammer',
        client_name: 'Spammer',
        audience: 'https://api/',
        total: 400,
        series: [300, 100, 0, 0, 0, 0],
      },
      {
        client_id: 'cacher',
        client_name: null,
        audience: 'https://api/',
        total: 2,
        series: [1, 0, 0, 0, 0, 1],
      },
    ]);
    expect(out.failures).toEqual([{ error: 'invalid_client', total: 4, series: [4, 0, 0, 0, 0, 0] }]);
  });

  it('flags a client asking far more often than its token lifetime needs, per active hour', () => {
    const out = summarizeTokenUsage(rows, {
      from: FROM,
      to: FROM + 6 * HOUR,
      interval: 'hour',
      minRatio: 10,
      clientNames: new Map(),
    });
    // 300 s tokens: 12 per active hour for one caching instance; 2 active hours -> 24 expected.
    expect(out.not_caching).toEqual([
      {
        client_id: 'spammer',
        client_name: null,
        audience: 'https://api/',
        issued: 400,
        token_lifetime: 300,
        expected: 24,
        ratio: 16.67,
      },
    ]);
  });

  it('sums hours into days', () => {
    const out = summarizeTokenUsage(rows, {
      from: FROM,
      to: FROM + 2 * 24 * HOUR,
      interval: 'day',
      minRatio: 100,
      clientNames: new Map(),
    });
    expect(out.buckets).toEqual([new Date(FROM).toISOString(), new Date(FROM + 24 * HOUR).toISOString()]);
    expect(out.issued.map((r) => [r.client_id, r.series])).toEqual([
      ['spammer', [400, 0]],
      ['late', [0, 9]],
      ['cacher', [2, 0]],
    ]);
    expect(out.not_caching).toEqual([]);
  });
});
