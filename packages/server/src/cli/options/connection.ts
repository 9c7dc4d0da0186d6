/**
 * The flags every admin command shares to find the server and authenticate to its Management
 * API, with their environment fallbacks: `--issuer` / `GATEHOUSE_ISSUER`, `--client-id` /
 * `GATEHOUSE_ADMIN_CLIENT_ID`, `--client-secret` / `GATEHOUSE_ADMIN_CLIENT_SECRET`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CliEnvironment } from '../config.ts';
import { CliUsageError } from '../errors.ts';
import type { ManagementConnection } from '../http/management-client.ts';
import { parseIssuer, parseText } from './parse-flags.ts';
import { resolveSecret } from './read-secret.ts';

/** The issuer used when neither `--issuer` nor `GATEHOUSE_ISSUER` is given (DESIGN.md). */
export const DEFAULT_ISSUER = 'http://localhost:4000/';

/** Parsed values of the connection flags. */
export interface ConnectionFlags {
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
}

/** Adds `--issuer <url>` to a command. */
export function addIssuerOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--issuer <url>',
      `server issuer URL (env GATEHOUSE_ISSUER, default ${DEFAULT_ISSUER})`,
    ).argParser(parseIssuer),
  );
}

/** Adds `--issuer`, `--client-id` and `--client-secret` (the admin client) to a command. */
export function addConnectionOptions(command: Command): Command {
  return addIssuerOption(command)
    .addOption(
      new Option('--client-id <id>', 'admin client id (env GATEHOUSE_ADMIN_CLIENT_ID)').argParser(parseText),
    )
    .addOption(
      new Option(
        '--client-secret <secret>',
        'admin client secret, or - to read it from stdin (env GATEHOUSE_ADMIN_CLIENT_SECRET)',
      ).argParser(parseText),
    );
}

/** The issuer from the flag, else `GATEHOUSE_ISSUER`, else the default; a bad variable is named. */
export function resolveIssuer(flag: string | undefined, env: CliEnvironment): string {
  if (flag) return flag;
  if (!env.issuer) return DEFAULT_ISSUER;
  try {
    return parseIssuer(env.issuer);
  } catch (error) {
    const reason = error instanceof InvalidArgumentError ? error.message : 'invalid URL';
    throw new CliUsageError(`GATEHOUSE_ISSUER is not a valid issuer URL: ${reason}`);
  }
}

/** Combines flags and environment into a Management API connection, or says what is missing. */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: CliEnvironment,
): Promise<ManagementConnection> {
  const issuer = resolveIssuer(flags.issuer, env);
  const clientId = flags.clientId ?? env.adminClientId;
  const rawSecret = flags.clientSecret ?? env.adminClientSecret;
  if (!clientId || !rawSecret) {
    const missing = [
      clientId ? undefined : '--client-id (or GATEHOUSE_ADMIN_CLIENT_ID)',
      rawSecret ? undefined : '--client-secret (or GATEHOUSE_ADMIN_CLIENT_SECRET)',
    ].filter(Boolean);
    throw new CliUsageError(
      `missing admin credentials: pass ${missing.join(' and ')}; \`gatehouse serve\` prints generated ones at first start`,
    );
  }
  const clientSecret = await resolveSecret(rawSecret, '--client-secret');
  return { issuer, clientId, clientSecret };
}
