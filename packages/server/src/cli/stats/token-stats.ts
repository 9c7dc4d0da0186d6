/**
 * The token statistics `GET /api/v2/stats/tokens` answers, parsed for display as three tables:
 * tokens issued per client and API, failures by error code, and clients that do not cache tokens.
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatTable } from '../output/table.ts';

const TokenStatsSchema = z.looseObject({
  from: z.string(),
  to: z.string(),
  interval: z.string(),
  issued: z.array(
    z.looseObject({
      client_id: z.string(),
      client_name: z.string().nullable(),
      audience: z.string(),
      total: z.number(),
    }),
  ),
  failures: z.array(z.looseObject({ error: z.string(), total: z.number() })),
  not_caching: z.array(
    z.looseObject({
      client_id: z.string(),
      client_name: z.string().nullable(),
      audience: z.string(),
      issued: z.number(),
      token_lifetime: z.number(),
      expected: z.number(),
      ratio: z.number(),
    }),
  ),
});

/** A stats answer; unknown members are kept. */
export type TokenStats = z.infer<typeof TokenStatsSchema>;

/** Parses a stats answer; throws `CliResponseError` when it is not one. */
export function parseTokenStats(json: unknown): TokenStats {
  const parsed = TokenStatsSchema.safeParse(json);
  if (!parsed.success)
    throw new CliResponseError('the server answered something that is not token statistics');
  return parsed.data;
}

/** The `stats tokens` view. */
export function formatTokenStats(stats: TokenStats): string {
  const parts = [`Tokens from ${stats.from} to ${stats.to}:`];
  parts.push(
    stats.issued.length === 0
      ? 'No tokens issued.'
      : formatTable(
          [
            { header: 'client', value: (r) => r.client_name ?? r.client_id, maxWidth: 32 },
            { header: 'client id', value: (r) => r.client_id },
            { header: 'audience', value: (r) => r.audience, maxWidth: 48 },
            { header: 'issued', value: (r) => r.total, align: 'right' },
          ],
          stats.issued,
        ),
  );
  parts.push(
    stats.failures.length === 0
      ? 'No failures.'
      : `Failures:\n${formatTable(
          [
            { header: 'error', value: (r) => r.error },
            { header: 'count', value: (r) => r.total, align: 'right' },
          ],
          stats.failures,
        )}`,
  );
  if (stats.not_caching.length > 0) {
    parts.push(
      `Not caching their tokens (issued far more than the token lifetime needs):\n${formatTable(
        [
          { header: 'client', value: (r) => r.client_name ?? r.client_id, maxWidth: 32 },
          { header: 'audience', value: (r) => r.audience, maxWidth: 48 },
          { header: 'issued', value: (r) => r.issued, align: 'right' },
          { header: 'needed', value: (r) => r.expected, align: 'right' },
          { header: 'ratio', value: (r) => r.ratio, align: 'right' },
          { header: 'lifetime', value: (r) => r.token_lifetime, align: 'right' },
        ],
        stats.not_caching,
      )}`,
    );
  }
  return parts.join('\n\n');
}
