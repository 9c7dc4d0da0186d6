/**
 * What every command receives: where to write, the CLI's environment (read once in `main.ts`
 * through `config.ts`), and a way to open the Management API with the command's flags.
 */
import type { CliEnvironment } from './config.ts';
import { createManagementClient, type ManagementClient } from './http/management-client.ts';
import { type ConnectionFlags, resolveConnection } from './options/connection.ts';
import type { Writer } from './output/writer.ts';

/** Dependencies of the command tree, passed in so nothing below `main.ts` reads globals. */
export interface CliContext {
  writer: Writer;
  env: CliEnvironment;
  /** The environment for `gatehouse serve`, handed whole to the server's `loadConfig`. */
  serverEnv: () => Record<string, string | undefined>;
}

/** Opens the Management API with the command's connection flags, falling back to the environment. */
export async function openManagementApi(
  context: CliContext,
  flags: ConnectionFlags,
): Promise<ManagementClient> {
  return createManagementClient(await resolveConnection(flags, context.env));
}
