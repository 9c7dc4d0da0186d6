/**
 * The `gatehouse` command tree. Built from a `CliContext` so nothing in it reads the process
 * environment; `main.ts` supplies the real one and runs it.
 */
import { Command } from 'commander';
import { createApisCommand } from './apis/apis-command.ts';
import { createClientsCommand } from './clients/clients-command.ts';
import type { CliContext } from './context.ts';
import { createGrantsCommand } from './grants/grants-command.ts';
import { createImportCommand } from './import/import-command.ts';
import { createKeysCommand } from './keys/keys-command.ts';
import { createLogsCommand } from './logs/logs-command.ts';
import { createServeCommand } from './serve/serve-command.ts';
import { createStatsCommand } from './stats/stats-command.ts';
import { createStoreCommand } from './store/store-command.ts';
import { createTokenCommand } from './token/token-command.ts';

/** The version `gatehouse --version` prints. */
export const CLI_VERSION = '0.1.0';

const ROOT_HELP = `
Admin commands reach the server's Management API over HTTP, so they work against a remote
server too. They read the server and admin credentials from flags or the environment:
  --issuer         GATEHOUSE_ISSUER               (default http://localhost:4000/)
  --client-id      GATEHOUSE_ADMIN_CLIENT_ID
  --client-secret  GATEHOUSE_ADMIN_CLIENT_SECRET  (or --client-secret - to read it from stdin)

Output is a table by default; --json prints the API's JSON answer for scripts.
Exit codes: 0 success, 1 the operation failed (unreachable server, refused, API error),
2 the command line was wrong (unknown command or flag, missing or malformed value).

Examples:
  $ gatehouse serve
  $ export GATEHOUSE_ADMIN_CLIENT_ID=... GATEHOUSE_ADMIN_CLIENT_SECRET=...
  $ gatehouse apis create --identifier https://contacts.example --name Contacts \\
      --scope read:contacts="Read contacts" --scope write:contacts="Change contacts"
  $ gatehouse clients create --name "Read Service"
  $ gatehouse grants create --client <client-id> --audience https://contacts.example \\
      --scope read:contacts
  $ gatehouse token --client-id <client-id> --client-secret <secret> \\
      --audience https://contacts.example --decode

Run \`gatehouse <command> --help\` for a command's flags and examples; docs/cli.md has the full reference.`;

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

/** Builds the whole command tree; errors surface as thrown `CommanderError`s, never `process.exit`. */
export function createProgram(context: CliContext): Command {
  const program = new Command('gatehouse')
    .description(
      'gatehouse: service-to-service authentication with OAuth 2.0 client credentials and JWT access tokens',
    )
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .addHelpText('after', ROOT_HELP)
    .addCommand(createServeCommand(context))
    .addCommand(createApisCommand(context))
    .addCommand(createClientsCommand(context))
    .addCommand(createGrantsCommand(context))
    .addCommand(createImportCommand(context))
    .addCommand(createKeysCommand(context))
    .addCommand(createLogsCommand(context))
    .addCommand(createStatsCommand(context))
    .addCommand(createStoreCommand(context))
    .addCommand(createTokenCommand(context));
  forEachCommand(program, (command) => {
    command
      .exitOverride()
      .showSuggestionAfterError()
      .showHelpAfterError('(run with --help for usage and examples)')
      .helpOption('-h, --help', 'show help with examples')
      .configureOutput({
        writeOut: (text) => context.writer.out(text.replace(/\n$/, '')),
        writeErr: (text) => context.writer.err(text.replace(/\n$/, '')),
      });
    if (command !== program && command.commands.length > 0) {
      command.helpCommand(false);
      command.addHelpText(
        'after',
        `\nRun \`gatehouse ${command.name()} <command> --help\` for flags and examples.`,
      );
    }
  });
  program.helpCommand('help [command]', 'show help for a command');
  return program;
}
