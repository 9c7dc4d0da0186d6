/**
 * `gatehouse clients create|list|get|update|delete|rotate-secret`: clients (calling services)
 * through `/api/v2/clients`. Secrets appear once, in the create and rotate answers.
 * @see https://auth0.com/docs/api/management/v2/clients/post-clients
 */
import { Command, InvalidArgumentError, Option } from 'commander';
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
import { parseOptionalText, parseText } from '../options/parse-flags.ts';
import { formatPagingFooter, parseListAnswer } from '../output/paging.ts';
import { formatShownOnceWarning, writeJson } from '../output/writer.ts';
import { formatClientDetails, formatClientTable, formatClientWithSecret, parseClient } from './client.ts';
import { createCredentialsCommand } from './credentials-command.ts';

interface CreateFlags extends ConnectionFlags {
  name: string;
  description?: string;
  json?: boolean;
}

interface UpdateFlags extends ConnectionFlags {
  name?: string;
  description?: string;
  disable?: boolean;
  enable?: boolean;
  json?: boolean;
}

interface JsonFlags extends ConnectionFlags {
  json?: boolean;
}

const clientPath = (clientId: string) => `clients/${encodeURIComponent(clientId)}`;

function addCreate(clients: Command, context: CliContext): void {
  const command = clients
    .command('create')
    .description('register a client (a calling service, app_type non_interactive) and show its secret once')
    .addOption(new Option('--name <name>', 'display name').argParser(parseText).makeOptionMandatory())
    .addOption(new Option('--description <text>', 'what the client is for').argParser(parseOptionalText));
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
The client secret is printed once; store it right away (the server keeps only its hash).

Examples:
  $ gatehouse clients create --name "Read Service"
  $ gatehouse clients create --name "Billing worker" --description "Nightly invoices" --json \\
      | jq -r '.client_secret' > billing.secret`,
  );
  command.action(async (flags: CreateFlags) => {
    const client = await openManagementApi(context, flags);
    const body: Record<string, unknown> = { name: flags.name, app_type: 'non_interactive' };
    if (flags.description !== undefined) body.description = flags.description;
    const answer = await client.post('clients', body);
    if (flags.json) {
      writeJson(context.writer, answer);
    } else {
      const created = parseClient(answer);
      context.writer.out(
        `Created client ${created.name ?? created.client_id}.\n\n${formatClientWithSecret(created)}`,
      );
    }
    context.writer.err(formatShownOnceWarning('client secret'));
  });
}

function addList(clients: Command, context: CliContext): void {
  const command = clients.command('list').description('list the clients, one page at a time');
  addListOptions(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse clients list
  $ gatehouse clients list --per-page 100 --page 2
  $ gatehouse clients list --json | jq -r '.[] | "\\(.client_id) \\(.name)"'`,
  );
  command.action(async (flags: ListFlags & ConnectionFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('clients', createListQuery(flags));
    if (flags.json) return writeJson(context.writer, answer);
    const { items, total } = parseListAnswer(answer, 'clients');
    const page = items.map(parseClient);
    const footer = formatPagingFooter(createPageRequest(flags), page.length, total, 'clients');
    context.writer.out(page.length === 0 ? footer : `${formatClientTable(page)}\n\n${footer}`);
  });
}

function addGet(clients: Command, context: CliContext): void {
  const command = clients
    .command('get')
    .description('show one client')
    .argument('<client-id>', 'the client id');
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse clients get kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU
  $ gatehouse clients get kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --json`,
  );
  command.action(async (clientId: string, flags: JsonFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get(clientPath(clientId));
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(formatClientDetails(parseClient(answer)));
  });
}

function addUpdate(clients: Command, context: CliContext): void {
  const command = clients
    .command('update')
    .description("change a client's name or description, or disable it")
    .argument('<client-id>', 'the client id')
    .addOption(new Option('--name <name>', 'new display name').argParser(parseText))
    .addOption(
      new Option('--description <text>', 'new description ("" to clear it)').argParser(parseOptionalText),
    )
    .addOption(
      new Option('--disable', 'refuse its token requests from now on (grants are kept)').conflicts('enable'),
    )
    .addOption(new Option('--enable', 'accept its token requests again'));
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse clients update kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --name "Read Service (EU)"
  $ gatehouse clients update kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --description ""
  $ gatehouse clients update kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --disable`,
  );
  command.action(async (clientId: string, flags: UpdateFlags) => {
    const body: Record<string, unknown> = {};
    if (flags.name !== undefined) body.name = flags.name;
    if (flags.description !== undefined) body.description = flags.description;
    if (flags.disable) body.disabled = true;
    if (flags.enable) body.disabled = false;
    if (Object.keys(body).length === 0) {
      throw new CliUsageError('nothing to update: give --name, --description, --disable or --enable');
    }
    const client = await openManagementApi(context, flags);
    const answer = await client.patch(clientPath(clientId), body);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(`Updated client ${clientId}.\n\n${formatClientDetails(parseClient(answer))}`);
  });
}

function addDelete(clients: Command, context: CliContext): void {
  const command = clients
    .command('delete')
    .description('delete a client and all of its grants; it can no longer get tokens')
    .argument('<client-id>', 'the client id');
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Tokens it already holds are revoked too (authorizers refuse them within GATEHOUSE_SYNC_SECONDS).

Example:
  $ gatehouse clients delete kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU`,
  );
  command.action(async (clientId: string, flags: ConnectionFlags) => {
    const client = await openManagementApi(context, flags);
    await client.delete(clientPath(clientId));
    context.writer.out(`Deleted client ${clientId} and its grants.`);
  });
}

/** Longest grace period the server accepts: 30 days. */
const MAX_GRACE_SECONDS = 30 * 86_400;

function parseGrace(text: string): number {
  const value = Number(text.trim());
  if (!/^\d{1,8}$/.test(text.trim()) || value > MAX_GRACE_SECONDS) {
    throw new InvalidArgumentError(
      `Expected a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (30 days).`,
    );
  }
  return value;
}

function addRotateSecret(clients: Command, context: CliContext): void {
  const command = clients
    .command('rotate-secret')
    .description(
      'give a client a new secret, shown once; the previous secret stops working at once, or after --grace',
    )
    .argument('<client-id>', 'the client id')
    .addOption(
      new Option(
        '--grace <seconds>',
        'keep the previous secret working this long, so the client can switch without downtime (default 0)',
      ).argParser(parseGrace),
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse clients rotate-secret kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU
  $ gatehouse clients rotate-secret kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --grace 3600
  $ gatehouse clients rotate-secret kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --json | jq -r .client_secret`,
  );
  command.action(async (clientId: string, flags: JsonFlags & { grace?: number }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.post(
      `${clientPath(clientId)}/rotate-secret`,
      flags.grace === undefined ? {} : { grace_period_seconds: flags.grace },
    );
    if (flags.json) {
      writeJson(context.writer, answer);
    } else {
      const rotated = parseClient(answer);
      const until = rotated.previous_secret_expires_at;
      context.writer.out(
        `Rotated the secret of client ${clientId}.\n\n${formatClientWithSecret(rotated)}` +
          (typeof until === 'string'
            ? `\n\nThe previous secret keeps working until ${until}.`
            : '\n\nThe previous secret no longer works.'),
      );
    }
    context.writer.err(formatShownOnceWarning('new client secret'));
  });
}

/** Builds the `clients` command group. */
export function createClientsCommand(context: CliContext): Command {
  const clients = new Command('clients')
    .description('manage clients: the calling services that get tokens with the client credentials grant')
    .summary('manage clients and their secrets');
  addCreate(clients, context);
  addList(clients, context);
  addGet(clients, context);
  addUpdate(clients, context);
  addDelete(clients, context);
  addRotateSecret(clients, context);
  clients.addCommand(createCredentialsCommand(context));
  return clients;
}
