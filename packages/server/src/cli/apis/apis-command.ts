/**
 * `gatehouse apis create|list|get|update|delete`: APIs (Auth0 resource servers) through
 * `/api/v2/resource-servers`.
 * @see https://auth0.com/docs/api/management/v2/resource-servers/post-resource-servers
 */
import { Command, Option } from 'commander';
import { type CliContext, openManagementApi } from '../context.ts';
import { CliApiError, CliUsageError } from '../errors.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import {
  addJsonOption,
  addListOptions,
  createListQuery,
  createPageRequest,
  type ListFlags,
} from '../options/list-options.ts';
import {
  collectScopeDefinitions,
  collectScopeNames,
  parseText,
  parseTokenLifetime,
  type ScopeDefinition,
  SIGNING_ALGS,
} from '../options/parse-flags.ts';
import { formatPagingFooter, parseListAnswer } from '../output/paging.ts';
import { writeJson } from '../output/writer.ts';
import { resolveApi } from './resolve-api.ts';
import {
  formatResourceServerDetails,
  formatResourceServerTable,
  parseResourceServer,
} from './resource-server.ts';
import { assertRoutePolicy, collectRouteFlags, type RouteFlag, readRoutesFile } from './route-flags.ts';
import { applyScopeChanges, hasScopeChanges } from './scope-changes.ts';

interface RouteFlags {
  route?: RouteFlag[];
  routesFile?: string;
}

interface CreateFlags extends ConnectionFlags, RouteFlags {
  identifier: string;
  name: string;
  scope?: ScopeDefinition[];
  tokenLifetime?: number;
  signingAlg?: string;
  json?: boolean;
}

interface UpdateFlags extends ConnectionFlags, RouteFlags {
  clearRoutes?: boolean;
  name?: string;
  scope?: ScopeDefinition[];
  addScope?: ScopeDefinition[];
  removeScope?: string[];
  tokenLifetime?: number;
  signingAlg?: string;
  json?: boolean;
}

interface GetFlags extends ConnectionFlags {
  json?: boolean;
}

interface DeleteFlags extends ConnectionFlags {
  force?: boolean;
}

const SCOPE_HELP = 'a scope as name[=description], e.g. read:contacts="Read contacts"; repeat for more';

const signingAlgOption = () =>
  new Option('--signing-alg <alg>', 'algorithm its tokens are signed with (default RS256)').choices(
    SIGNING_ALGS,
  );

const tokenLifetimeOption = () =>
  new Option(
    '--token-lifetime <seconds>',
    'lifetime of its access tokens, 1 to 86400 (default 3600)',
  ).argParser(parseTokenLifetime);

const ROUTE_HELP =
  'a route of the live route policy: "METHOD PATH [SCOPE ...]", e.g. "GET /contacts/{id} read:contacts"; ' +
  'METHOD may be *, {name} matches one path segment, a trailing * any rest; repeat for more';

const routeOption = () => new Option('--route <route>', ROUTE_HELP).argParser(collectRouteFlags);
const routesFileOption = () =>
  new Option('--routes-file <file>', 'the route policy from a JSON file: {"routes": [...]}').conflicts(
    'route',
  );

/** The routes the flags give: a file, or the `--route` list; undefined when neither is given. */
async function readRouteFlags(flags: RouteFlags): Promise<RouteFlag[] | undefined> {
  if (flags.routesFile !== undefined) return readRoutesFile(flags.routesFile);
  if (flags.route !== undefined) return assertRoutePolicy(flags.route, '--route');
  return undefined;
}

function addCreate(apis: Command, context: CliContext): void {
  const command = apis
    .command('create')
    .description('register an API: its identifier is the audience (aud) of the tokens issued for it')
    .addOption(
      new Option('--identifier <uri>', 'unique identifier, used as the token audience; cannot change later')
        .argParser(parseText)
        .makeOptionMandatory(),
    )
    .addOption(new Option('--name <name>', 'display name').argParser(parseText).makeOptionMandatory())
    .addOption(new Option('--scope <scope>', SCOPE_HELP).argParser(collectScopeDefinitions))
    .addOption(tokenLifetimeOption())
    .addOption(signingAlgOption())
    .addOption(routeOption())
    .addOption(routesFileOption());
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse apis create --identifier https://contacts.example --name Contacts \\
      --scope read:contacts="Read contacts" --scope write:contacts="Change contacts"
  $ gatehouse apis create --identifier https://billing.example --name Billing \\
      --token-lifetime 600 --signing-alg ES256 --json
  $ gatehouse apis create --identifier https://contacts.example --name Contacts \\
      --scope read:contacts --route "GET /contacts/{id} read:contacts"`,
  );
  command.action(async (flags: CreateFlags) => {
    const client = await openManagementApi(context, flags);
    const body: Record<string, unknown> = {
      identifier: flags.identifier,
      name: flags.name,
      scopes: flags.scope ?? [],
    };
    if (flags.tokenLifetime !== undefined) body.token_lifetime = flags.tokenLifetime;
    if (flags.signingAlg !== undefined) body.signing_alg = flags.signingAlg;
    const routes = await readRouteFlags(flags);
    if (routes !== undefined) body.routes = routes;
    const answer = await client.post('resource-servers', body);
    if (flags.json) return writeJson(context.writer, answer);
    const api = parseResourceServer(answer);
    context.writer.out(`Created API ${api.name ?? api.identifier}.\n\n${formatResourceServerDetails(api)}`);
    context.writer.err(
      `\nNext, let a client call it: gatehouse grants create --client <client-id> --audience ${api.identifier} --scope <scope>`,
    );
  });
}

function addList(apis: Command, context: CliContext): void {
  const command = apis.command('list').description('list the APIs, one page at a time');
  addListOptions(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse apis list
  $ gatehouse apis list --page 1 --per-page 20
  $ gatehouse apis list --json | jq -r '.[].identifier'`,
  );
  command.action(async (flags: ListFlags & ConnectionFlags) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('resource-servers', createListQuery(flags));
    if (flags.json) return writeJson(context.writer, answer);
    const { items, total } = parseListAnswer(answer, 'resource_servers');
    const apisOnPage = items.map(parseResourceServer);
    const footer = formatPagingFooter(createPageRequest(flags), apisOnPage.length, total, 'APIs');
    context.writer.out(
      apisOnPage.length === 0 ? footer : `${formatResourceServerTable(apisOnPage)}\n\n${footer}`,
    );
  });
}

function addGet(apis: Command, context: CliContext): void {
  const command = apis
    .command('get')
    .description('show one API with its scopes')
    .argument('<api>', 'the API id or its identifier');
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ gatehouse apis get https://contacts.example
  $ gatehouse apis get 6745a1b2c3d4e5f6a7b8c9d0 --json`,
  );
  command.action(async (reference: string, flags: GetFlags) => {
    const client = await openManagementApi(context, flags);
    const api = await resolveApi(client, reference);
    if (flags.json) return writeJson(context.writer, api);
    context.writer.out(formatResourceServerDetails(api));
  });
}

function addUpdate(apis: Command, context: CliContext): void {
  const command = apis
    .command('update')
    .description(
      "change an API's name, scopes, signing algorithm, token lifetime or route policy (its identifier is fixed)",
    )
    .argument('<api>', 'the API id or its identifier')
    .addOption(new Option('--name <name>', 'new display name').argParser(parseText))
    .addOption(
      new Option('--scope <scope>', `replace all scopes: ${SCOPE_HELP}`).argParser(collectScopeDefinitions),
    )
    .addOption(
      new Option(
        '--add-scope <scope>',
        'add a scope, or change its description: name[=description]; repeatable',
      ).argParser(collectScopeDefinitions),
    )
    .addOption(new Option('--remove-scope <name>', 'remove a scope; repeatable').argParser(collectScopeNames))
    .addOption(tokenLifetimeOption())
    .addOption(signingAlgOption())
    .addOption(
      new Option('--route <route>', `replace the route policy: ${ROUTE_HELP}`).argParser(collectRouteFlags),
    )
    .addOption(routesFileOption())
    .addOption(
      new Option(
        '--clear-routes',
        'remove the route policy (authorizers following it then deny every route)',
      ).conflicts(['route', 'routesFile']),
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Only the flags given change; grants that use a removed scope keep it until you update them.
--route and --routes-file replace the whole route policy; authorizers that follow the server's
policy apply it within GATEHOUSE_SYNC_SECONDS, without a restart.

Examples:
  $ gatehouse apis update https://contacts.example --add-scope delete:contacts="Delete contacts"
  $ gatehouse apis update https://contacts.example --remove-scope delete:contacts
  $ gatehouse apis update https://contacts.example --token-lifetime 900 --name "Contacts v2"
  $ gatehouse apis update https://contacts.example --routes-file policy.json
  $ gatehouse apis update https://contacts.example \\
      --route "GET /contacts read:contacts" --route "GET /contacts/{id} read:contacts" \\
      --route "* /contacts/* write:contacts"`,
  );
  command.action(async (reference: string, flags: UpdateFlags) => {
    const changes = { replace: flags.scope, add: flags.addScope, remove: flags.removeScope };
    const body: Record<string, unknown> = {};
    if (flags.name !== undefined) body.name = flags.name;
    if (flags.tokenLifetime !== undefined) body.token_lifetime = flags.tokenLifetime;
    if (flags.signingAlg !== undefined) body.signing_alg = flags.signingAlg;
    const routes = await readRouteFlags(flags);
    if (routes !== undefined) body.routes = routes;
    if (flags.clearRoutes) body.routes = null;
    if (Object.keys(body).length === 0 && !hasScopeChanges(changes)) {
      throw new CliUsageError(
        'nothing to update: give --name, --scope, --add-scope, --remove-scope, --token-lifetime, --signing-alg, --route, --routes-file or --clear-routes',
      );
    }
    const client = await openManagementApi(context, flags);
    const api = await resolveApi(client, reference);
    if (hasScopeChanges(changes)) {
      const current = (api.scopes ?? []).map((scope) => ({
        value: scope.value,
        description: scope.description ?? '',
      }));
      body.scopes = applyScopeChanges(current, changes);
    }
    const answer = await client.patch(`resource-servers/${encodeURIComponent(api.id)}`, body);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(
      `Updated API ${api.identifier}.\n\n${formatResourceServerDetails(parseResourceServer(answer))}`,
    );
  });
}

function addDelete(apis: Command, context: CliContext): void {
  const command = apis
    .command('delete')
    .description('delete an API; refused while clients hold grants for it, unless --force')
    .argument('<api>', 'the API id or its identifier')
    .option(
      '--force',
      'also delete every client grant for this API (those clients can no longer get its tokens)',
    );
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Tokens the deleted grants' clients hold for the API are revoked (cut off) as well.

Examples:
  $ gatehouse apis delete https://contacts.example
  $ gatehouse apis delete https://contacts.example --force`,
  );
  command.action(async (reference: string, flags: DeleteFlags) => {
    const client = await openManagementApi(context, flags);
    const api = await resolveApi(client, reference);
    try {
      await client.delete(`resource-servers/${encodeURIComponent(api.id)}`, {
        force: flags.force ? true : undefined,
      });
    } catch (error) {
      if (error instanceof CliApiError && error.status === 409 && !flags.force) {
        throw new CliApiError(
          `${error.message}; pass --force to delete the API together with its client grants`,
          error.status,
          error.errorCode,
        );
      }
      throw error;
    }
    context.writer.out(`Deleted API ${api.identifier} (${api.id}).`);
  });
}

/** Builds the `apis` command group. */
export function createApisCommand(context: CliContext): Command {
  const apis = new Command('apis')
    .description(
      'manage APIs (resource servers): identifier (token audience), scopes, signing algorithm, token lifetime',
    )
    .summary('manage APIs and their scopes');
  addCreate(apis, context);
  addList(apis, context);
  addGet(apis, context);
  addUpdate(apis, context);
  addDelete(apis, context);
  return apis;
}
