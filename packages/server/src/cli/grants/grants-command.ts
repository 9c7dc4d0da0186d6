/**
 * `gatehouse grants create|list|update|delete`: which scopes a client may ask for at an API,
 * through `/api/v2/client-grants`.
 * @see https://auth0.com/docs/api/management/v2/client-grants/post-client-grants
 */
import { Command, Option } from 'commander';
import { type CliContext, openManagementApi } from '../context.ts';
import { CliUsageError } from '../errors.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import {
  addJsonOption,
  addListOptions,
  createListQuery,
  createPageRequest,
  type ListFlags,
} from '../options/list-options.ts';
import { collectScopeNames, parseText, parseTokenLifetime } from '../options/parse-flags.ts';
import { formatPagingFooter, parseListAnswer } from '../output/paging.ts';
import { writeJson } from '../output/writer.ts';
import { formatClientGrantDetails, formatClientGrantTable, parseClientGrant } from './client-grant.ts';

interface CreateFlags extends ConnectionFlags {
  client: string;
  audience: string;
  scope?: string[];
  tokenLifetime?: number;
  json?: boolean;
}

interface ListGrantFlags extends ListFlags, ConnectionFlags {
  client?: string;
  audience?: string;
}

interface UpdateFlags extends ConnectionFlags {
  /** `false` after `--no-scope`. */
  scope?: string[] | false;
  /** `false` after `--no-token-lifetime`. */
  tokenLifetime?: number | false;
  json?: boolean;
}

const SCOPE_HELP = 'a scope the client may ask for; repeat, or separate several with spaces or commas';

function addCreate(grants: Command, context: CliContext): void {
  const command = grants
    .command('create')
    .description('let a client get tokens for an API with the given scopes')
    .addOption(new Option('--client <client-id>', 'the client id').argParser(parseText).makeOptionMandatory())
    .addOption(
      new Option('--audience <identifier>', "the API's identifier")
        .argParser(parseText)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--scope <scope>', SCOPE_HELP).argParser(collectScopeNames))
    .addOption(
      new Option(
        '--token-lifetime <seconds>',
        "this client's token lifetime at the API, 1 to 86400 (default: the API's)",
      ).argParser(parseTokenLifetime),
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Each scope must be one the API defines. A client has at most one grant per API.

Examples:
  $ gatehouse grants create --client kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU \\
      --audience https://contacts.example --scope read:contacts
  $ gatehouse grants create --client kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --audience https://contacts.example \\
      --scope "read:contacts write:contacts"`,
  );
  command.action(async (flags: CreateFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.post('client-grants', {
      client_id: flags.client,
      audience: flags.audience,
      scope: flags.scope ?? [],
      ...(flags.tokenLifetime !== undefined ? { token_lifetime: flags.tokenLifetime } : {}),
    });
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(`Created grant.\n\n${formatClientGrantDetails(parseClientGrant(answer))}`);
  });
}

function addList(grants: Command, context: CliContext): void {
  const command = grants
    .command('list')
    .description('list client grants, optionally for one client or one API')
    .addOption(new Option('--client <client-id>', 'only the grants of this client').argParser(parseText))
    .addOption(new Option('--audience <identifier>', 'only the grants for this API').argParser(parseText));
  addListOptions(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse grants list
  $ gatehouse grants list --client kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU
  $ gatehouse grants list --audience https://contacts.example --json`,
  );
  command.action(async (flags: ListGrantFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('client-grants', {
      ...createListQuery(flags),
      client_id: flags.client,
      audience: flags.audience,
    });
    if (flags.json) return writeJson(context.writer, answer);
    const { items, total } = parseListAnswer(answer, 'client_grants');
    const page = items.map(parseClientGrant);
    const footer = formatPagingFooter(createPageRequest(flags), page.length, total, 'grants');
    context.writer.out(page.length === 0 ? footer : `${formatClientGrantTable(page)}\n\n${footer}`);
  });
}

function addUpdate(grants: Command, context: CliContext): void {
  const command = grants
    .command('update')
    .description(
      "replace a grant's scopes or token lifetime; a reduced grant also revokes the tokens issued before it",
    )
    .argument('<grant-id>', 'the grant id (see grants list)')
    .addOption(
      new Option('--scope <scope>', `${SCOPE_HELP}; replaces the current list`).argParser(collectScopeNames),
    )
    .option('--no-scope', 'remove every scope (the client keeps access to the API, with no scope)')
    .addOption(
      new Option(
        '--token-lifetime <seconds>',
        "this client's token lifetime at the API, 1 to 86400",
      ).argParser(parseTokenLifetime),
    )
    .option('--no-token-lifetime', "use the API's token lifetime again");
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse grants update cgr_4fQ9x2Lm8TbR1nVz --scope read:contacts
  $ gatehouse grants update cgr_4fQ9x2Lm8TbR1nVz --scope read:contacts --scope write:contacts
  $ gatehouse grants update cgr_4fQ9x2Lm8TbR1nVz --token-lifetime 300`,
  );
  command.action(async (grantId: string, flags: UpdateFlags) => {
    const body: Record<string, unknown> = {};
    if (flags.scope !== undefined) body.scope = flags.scope === false ? [] : flags.scope;
    if (flags.tokenLifetime !== undefined) {
      body.token_lifetime = flags.tokenLifetime === false ? null : flags.tokenLifetime;
    }
    if (Object.keys(body).length === 0) {
      throw new CliUsageError(
        'nothing to update: give --scope, --no-scope, --token-lifetime or --no-token-lifetime',
      );
    }
    const client = await openManagementApi(context, flags);
    const answer = await client.patch(`client-grants/${encodeURIComponent(grantId)}`, body);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(`Updated grant ${grantId}.\n\n${formatClientGrantDetails(parseClientGrant(answer))}`);
  });
}

function addDelete(grants: Command, context: CliContext): void {
  const command = grants
    .command('delete')
    .description('remove a grant: the client can no longer get tokens for that API')
    .argument('<grant-id>', 'the grant id (see grants list)');
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Example:
  $ gatehouse grants delete cgr_4fQ9x2Lm8TbR1nVz`,
  );
  command.action(async (grantId: string, flags: ConnectionFlags) => {
    const client = await openManagementApi(context, flags);
    await client.delete(`client-grants/${encodeURIComponent(grantId)}`);
    context.writer.out(`Deleted grant ${grantId}.`);
  });
}

/** Builds the `grants` command group. */
export function createGrantsCommand(context: CliContext): Command {
  const grants = new Command('grants')
    .description('manage client grants: which scopes each client may ask for at each API')
    .summary('manage what each client may do at each API');
  addCreate(grants, context);
  addList(grants, context);
  addUpdate(grants, context);
  addDelete(grants, context);
  return grants;
}
