/**
 * `gatehouse stats tokens`: tokens issued per client over time, token-endpoint failures by error
 * code, and clients that do not cache their tokens, through `/api/v2/stats/tokens`.
 */
import { Command, Option } from 'commander';
import { type CliContext, openManagementApi } from '../context.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import { addJsonOption } from '../options/list-options.ts';
import { parseText } from '../options/parse-flags.ts';
import { writeJson } from '../output/writer.ts';
import { formatTokenStats, parseTokenStats } from './token-stats.ts';

interface TokensFlags extends ConnectionFlags {
  from?: string;
  to?: string;
  interval?: string;
  client?: string;
  minRatio?: string;
  json?: boolean;
}

function addTokens(stats: Command, context: CliContext): void {
  const command = stats
    .command('tokens')
    .description(
      'tokens issued per client and API, failures by error code, and clients that do not cache tokens',
    )
    .addOption(
      new Option(
        '--from <date>',
        'start, ISO 8601 (default: 24 hours, or 30 days by day, before --to)',
      ).argParser(parseText),
    )
    .addOption(new Option('--to <date>', 'end, ISO 8601 (default: now)').argParser(parseText))
    .addOption(
      new Option('--interval <interval>', 'bucket width of the series (default hour)').choices([
        'hour',
        'day',
      ]),
    )
    .addOption(new Option('--client <client-id>', 'only this client').argParser(parseText))
    .addOption(
      new Option(
        '--min-ratio <n>',
        'list a client as not caching from this many times the tokens it needs (default 10)',
      ).argParser(parseText),
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Counts are kept per instance and written to the store every minute; the answering instance
includes its own latest counts. --json adds the per-bucket series for charts.

Examples:
  $ gatehouse stats tokens
  $ gatehouse stats tokens --interval day --from 2026-01-01 --json`,
  );
  command.action(async (flags: TokensFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('stats/tokens', {
      from: flags.from,
      to: flags.to,
      interval: flags.interval,
      client_id: flags.client,
      min_ratio: flags.minRatio,
    });
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(formatTokenStats(parseTokenStats(answer)));
  });
}

/** Builds the `stats` command group. */
export function createStatsCommand(context: CliContext): Command {
  const stats = new Command('stats')
    .description('token endpoint statistics for the overview')
    .summary('token statistics');
  addTokens(stats, context);
  return stats;
}
