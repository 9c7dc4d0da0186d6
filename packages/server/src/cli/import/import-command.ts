/**
 * `gatehouse import auth0 <export.json>`: creates the APIs, machine-to-machine clients and client
 * grants of an Auth0 tenant export in gatehouse, through the Management API, with new client
 * secrets (shown once, or written to a 0600 file), and prints a migration report. Planned in full
 * before the first write: a conflict stops it with nothing written; a second run creates only what
 * is missing (imported clients are found again by their `client_metadata.auth0_client_id`).
 */
import { open, readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { type CliContext, openManagementApi } from '../context.ts';
import type { ManagementClient } from '../http/management-client.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import { parseText } from '../options/parse-flags.ts';
import { parseListAnswer } from '../output/paging.ts';
import { formatShownOnceWarning, writeJson } from '../output/writer.ts';
import { parseAuth0Export } from './auth0-export.ts';
import { ImportConflictError, ImportInputError } from './import-errors.ts';
import { type CreatedClient, formatMigrationReport } from './migration-report.ts';
import { type ExistingState, planImport } from './plan-import.ts';

interface ImportFlags extends ConnectionFlags {
  dryRun?: boolean;
  secretsFile?: string;
  json?: boolean;
}

const PER_PAGE = 100;

const apiSchema = z.looseObject({
  identifier: z.string(),
  scopes: z.array(z.looseObject({ value: z.string() })).default([]),
});
const clientSchema = z.looseObject({
  client_id: z.string(),
  client_metadata: z.record(z.string(), z.string()).default({}),
});
const grantSchema = z.looseObject({
  client_id: z.string(),
  audience: z.string(),
  scope: z.array(z.string()),
});
const createdClientSchema = z.looseObject({ client_id: z.string(), client_secret: z.string() });

async function listAll<T>(
  api: ManagementClient,
  path: string,
  key: string,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; ; page++) {
    const { items } = parseListAnswer(
      await api.get(path, { page, per_page: PER_PAGE, include_totals: true }),
      key,
    );
    out.push(...items.map((item) => schema.parse(item)));
    if (items.length < PER_PAGE) return out;
  }
}

async function readExisting(api: ManagementClient): Promise<ExistingState> {
  const [apis, clients, grants] = await Promise.all([
    listAll(api, 'resource-servers', 'resource_servers', apiSchema),
    listAll(api, 'clients', 'clients', clientSchema),
    listAll(api, 'client-grants', 'client_grants', grantSchema),
  ]);
  return {
    apis: apis.map((a) => ({ identifier: a.identifier, scopes: a.scopes.map((s) => s.value) })),
    clients,
    grants,
  };
}

async function readExport(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportInputError(
      `cannot read ${file}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`,
    );
  }
}

function addAuth0(parent: Command, context: CliContext): void {
  const command = parent
    .command('auth0')
    .description('create the APIs, M2M clients and grants of an Auth0 tenant export, with new secrets')
    .argument(
      '<export.json>',
      'resource_servers, clients and client_grants as Auth0 Management API answers them',
    )
    .option('--dry-run', 'plan and report only; write nothing')
    .addOption(
      new Option(
        '--secrets-file <path>',
        'write the new client secrets to this new file (mode 0600) instead of the terminal',
      ).argParser(parseText),
    )
    .option('--json', 'print the report as JSON');
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
The export is one JSON object: {"resource_servers": [...], "clients": [...], "client_grants": [...]},
each array as GET /api/v2/resource-servers, /clients and /client-grants answer it.
Auth0's own API (is_system), its global client and clients without the client_credentials grant
are skipped; every imported client gets a NEW secret (Auth0's are never read). A conflict with what
gatehouse holds stops the import before anything is written; running it again is safe.

Examples:
  $ gatehouse import auth0 tenant-export.json --dry-run
  $ gatehouse import auth0 tenant-export.json --secrets-file ./new-secrets.json`,
  );
  command.action(async (file: string, flags: ImportFlags) => {
    const data = parseAuth0Export(await readExport(file), file);
    const api = await openManagementApi(context, flags);
    const plan = planImport(data, await readExisting(api));
    if (plan.conflicts.length > 0) {
      if (flags.json) writeJson(context.writer, { dry_run: true, ...plan });
      else context.writer.out(formatMigrationReport(plan, { dryRun: true, created: [] }));
      throw new ImportConflictError(
        `${plan.conflicts.length} conflict${plan.conflicts.length > 1 ? 's' : ''} with gatehouse; nothing was written`,
      );
    }
    if (flags.dryRun) {
      if (flags.json) return writeJson(context.writer, { dry_run: true, ...plan });
      return context.writer.out(formatMigrationReport(plan, { dryRun: true, created: [] }));
    }
    // the secrets file is created (never overwritten) before the first write, so a bad path costs nothing
    const secretsFile =
      flags.secretsFile === undefined
        ? undefined
        : await open(flags.secretsFile, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
            throw new ImportInputError(
              `cannot create ${flags.secretsFile}${error.code === 'EEXIST' ? ': it exists already (choose a new path)' : ` (${error.code})`}`,
            );
          });
    const created: CreatedClient[] = [];
    try {
      for (const item of plan.apis)
        if (item.action === 'create') await api.post('resource-servers', item.body);
      const ids = new Map<string, string>();
      for (const item of plan.clients) {
        if (item.existingId !== undefined) {
          ids.set(item.auth0Id, item.existingId);
          continue;
        }
        const answer = createdClientSchema.parse(await api.post('clients', item.body));
        ids.set(item.auth0Id, answer.client_id);
        created.push({
          name: item.body.name,
          auth0ClientId: item.auth0Id,
          clientId: answer.client_id,
          clientSecret: answer.client_secret,
        });
      }
      for (const item of plan.grants) {
        if (item.action === 'create') {
          await api.post('client-grants', { client_id: ids.get(item.auth0ClientId), ...item.body });
        }
      }
    } catch (error) {
      // clients created before the failure keep their new secrets: show them now (a re-run will not)
      if (secretsFile === undefined && created.length > 0) {
        context.writer.out(formatMigrationReport(plan, { dryRun: false, created }));
        context.writer.err(formatShownOnceWarning('list of new client secrets'));
      }
      throw error;
    } finally {
      if (secretsFile !== undefined) {
        const secrets = created.map((c) => ({
          name: c.name,
          auth0_client_id: c.auth0ClientId,
          client_id: c.clientId,
          client_secret: c.clientSecret,
        }));
        await secretsFile.writeFile(`${JSON.stringify(secrets, null, 2)}\n`);
        await secretsFile.close();
      }
    }
    const shown =
      secretsFile === undefined ? created : created.map((c) => ({ ...c, clientSecret: undefined }));
    if (flags.json) {
      return writeJson(context.writer, {
        dry_run: false,
        ...plan,
        created_clients: shown.map((c) => ({
          name: c.name,
          auth0_client_id: c.auth0ClientId,
          client_id: c.clientId,
          ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
        })),
        secrets_file: flags.secretsFile,
      });
    }
    context.writer.out(
      formatMigrationReport(plan, { dryRun: false, created: shown, secretsFile: flags.secretsFile }),
    );
    if (secretsFile === undefined && created.length > 0)
      context.writer.err(formatShownOnceWarning('list of new client secrets'));
  });
}

/** `gatehouse import`: bring another server's configuration over (today: Auth0). */
export function createImportCommand(context: CliContext): Command {
  const command = new Command('import').description(
    "import another issuer's APIs, clients and grants (auth0)",
  );
  addAuth0(command, context);
  return command;
}
