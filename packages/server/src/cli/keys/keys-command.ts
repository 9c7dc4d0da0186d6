/**
 * `gatehouse keys list`: the server's signing keys (public information only: kid, algorithm,
 * state and times) through `/api/v2/keys/signing`.
 * @see https://auth0.com/docs/api/management/v2/keys/get-signing-keys
 */
import { Command } from 'commander';
import { type CliContext, openManagementApi } from '../context.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import { addJsonOption } from '../options/list-options.ts';
import { writeJson } from '../output/writer.ts';
import { formatSigningKeyTable, parseSigningKeys } from './signing-key.ts';

function addList(keys: Command, context: CliContext): void {
  const command = keys
    .command('list')
    .description(
      'list the signing keys: the current one, the next one (published ahead), previous and revoked ones',
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Private keys never leave the server; the public keys are also at {issuer}.well-known/jwks.json.

Examples:
  $ gatehouse keys list
  $ gatehouse keys list --json`,
  );
  command.action(async (flags: ConnectionFlags & { json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('keys/signing');
    if (flags.json) return writeJson(context.writer, answer);
    const list = parseSigningKeys(answer);
    context.writer.out(list.length === 0 ? 'No signing keys yet.' : formatSigningKeyTable(list));
  });
}

/** Builds the `keys` command group. */
export function createKeysCommand(context: CliContext): Command {
  const keys = new Command('keys')
    .description("inspect the server's token signing keys")
    .summary('inspect signing keys');
  addList(keys, context);
  return keys;
}
