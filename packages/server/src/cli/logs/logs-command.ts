/**
 * `gatehouse logs list|get`: the audit log of administrative changes, through `/api/v2/logs`.
 * @see https://auth0.com/docs/api/management/v2/logs/get-logs
 */
import { Command, Option } from 'commander';
import { type CliContext, openManagementApi } from '../context.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import {
  addJsonOption,
  addListOptions,
  createListQuery,
  createPageRequest,
  type ListFlags,
} from '../options/list-options.ts';
import { parseText } from '../options/parse-flags.ts';
import { formatPagingFooter, parseListAnswer } from '../output/paging.ts';
import { writeJson } from '../output/writer.ts';
import { formatLogEventDetails, formatLogEventTable, parseLogEvent } from './log-event.ts';

interface ListLogFlags extends ListFlags, ConnectionFlags {
  client?: string;
  type?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
  q?: string;
  oldestFirst?: boolean;
}

const TYPES = ['sapi', 'fapi', 's', 'f', 'slo', 'seccft', 'feccft'];
const TARGET_TYPES = [
  'resource_server',
  'client',
  'client_credential',
  'client_grant',
  'signing_key',
  'token',
  'console_session',
];

function addList(logs: Command, context: CliContext): void {
  const command = logs
    .command('list')
    .description('list audit log events, newest first, optionally filtered')
    .addOption(new Option('--client <client-id>', 'only changes made by this client').argParser(parseText))
    .addOption(new Option('--type <type>', 'only this event type').choices(TYPES))
    .addOption(
      new Option('--action <action>', 'only this action, e.g. client.secret_rotated').argParser(parseText),
    )
    .addOption(
      new Option('--target-type <type>', 'only changes to this kind of entity').choices(TARGET_TYPES),
    )
    .addOption(
      new Option('--target-id <id>', 'only changes to this entity (client id, API id, kid, ...)').argParser(
        parseText,
      ),
    )
    .addOption(
      new Option('--from <date>', 'only events at or after this ISO 8601 date or date-time').argParser(
        parseText,
      ),
    )
    .addOption(
      new Option('--to <date>', 'only events before this ISO 8601 date or date-time').argParser(parseText),
    )
    .addOption(
      new Option('--q <query>', 'a search in the documented subset of Auth0’s log query syntax').argParser(
        parseText,
      ),
    )
    .option('--oldest-first', 'sort oldest first');
  addListOptions(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Types: sapi (a Management API change succeeded), fapi (it failed), s / f / slo (console sign-in,
failed sign-in, sign-out), seccft / feccft (federated client authentication succeeded / refused).
Events hold who, what, before/after (never a secret), when and from where.

Examples:
  $ gatehouse logs list
  $ gatehouse logs list --type fapi --from 2026-01-01
  $ gatehouse logs list --target-type client --target-id kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU
  $ gatehouse logs list --q 'action:client.secret_rotated AND date:[2026-01-01 TO *]' --json`,
  );
  command.action(async (flags: ListLogFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('logs', {
      ...createListQuery(flags),
      client_id: flags.client,
      type: flags.type,
      action: flags.action,
      target_type: flags.targetType,
      target_id: flags.targetId,
      from_date: flags.from,
      to_date: flags.to,
      q: flags.q,
      sort: flags.oldestFirst ? 'date:1' : undefined,
    });
    if (flags.json) return writeJson(context.writer, answer);
    const { items, total } = parseListAnswer(answer, 'logs');
    const page = items.map(parseLogEvent);
    const footer = formatPagingFooter(createPageRequest(flags), page.length, total, 'log events');
    context.writer.out(page.length === 0 ? footer : `${formatLogEventTable(page)}\n\n${footer}`);
  });
}

function addGet(logs: Command, context: CliContext): void {
  const command = logs
    .command('get')
    .description('show one audit log event with its before/after states')
    .argument('<log-id>', 'the log id (see `gatehouse logs list`)');
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Example:
  $ gatehouse logs get 01JD8Y3V7QK3M9X2B4C6D8E0F1`,
  );
  command.action(async (logId: string, flags: ConnectionFlags & { json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get(`logs/${encodeURIComponent(logId)}`);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(formatLogEventDetails(parseLogEvent(answer)));
  });
}

/** Builds the `logs` command group. */
export function createLogsCommand(context: CliContext): Command {
  const logs = new Command('logs')
    .description('read the audit log: every administrative change, who made it, before and after')
    .summary('read the audit log');
  addList(logs, context);
  addGet(logs, context);
  return logs;
}
