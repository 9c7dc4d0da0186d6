/**
 * Paging and output flags shared by the list commands: `--page`, `--per-page`,
 * `--include-totals` (JSON only; tables always ask for totals) and `--json`.
 */
import { type Command, Option } from 'commander';
import type { Query } from '../http/management-client.ts';
import type { PageRequest } from '../output/paging.ts';
import { MAX_PER_PAGE, parsePage, parsePerPage } from './parse-flags.ts';

/** Page size when `--per-page` is not given (Auth0's default). */
export const DEFAULT_PER_PAGE = 50;

/** Parsed values of the list flags. */
export interface ListFlags {
  page: number;
  perPage: number;
  includeTotals?: boolean;
  json?: boolean;
}

/** Adds `--json` to a command. */
export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print the API answer as JSON instead of a table');
}

/** Adds `--page`, `--per-page`, `--include-totals` and `--json` to a list command. */
export function addListOptions(command: Command): Command {
  return addJsonOption(
    command
      .addOption(new Option('--page <n>', 'page to show, counting from 0').argParser(parsePage).default(0))
      .addOption(
        new Option('--per-page <n>', `items per page, 1 to ${MAX_PER_PAGE}`)
          .argParser(parsePerPage)
          .default(DEFAULT_PER_PAGE),
      )
      .option('--include-totals', 'with --json: answer {start, limit, total, ...} instead of a bare array'),
  );
}

/** The page the flags ask for. */
export function createPageRequest(flags: ListFlags): PageRequest {
  return { page: flags.page, perPage: flags.perPage };
}

/** Query parameters for a list call; tables always ask for totals to say whether more pages exist. */
export function createListQuery(flags: ListFlags): Query {
  return {
    page: flags.page,
    per_page: flags.perPage,
    include_totals: flags.json ? (flags.includeTotals ? true : undefined) : true,
  };
}
