/**
 * Lets a secret flag take `-` to mean "read it from standard input", so a secret need not appear
 * in the shell history or the process list: `printf %s "$SECRET" | gatehouse ... --client-secret -`.
 */
import { CliUsageError } from '../errors.ts';

/** The value meaning "read from standard input". */
export const STDIN_MARKER = '-';

/** Reads standard input to its end and returns it without the trailing newline. */
export async function readSecretFromStdin(flag: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new CliUsageError(
      `${flag} - reads the secret from standard input; pipe it in, e.g. printf %s "$SECRET" | gatehouse ...`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const secret = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (secret === '') throw new CliUsageError(`${flag} -: standard input was empty`);
  return secret;
}

/** Returns the secret as given, or read from standard input when given as `-`. */
export async function resolveSecret(value: string, flag: string): Promise<string> {
  return value === STDIN_MARKER ? readSecretFromStdin(flag) : value;
}
