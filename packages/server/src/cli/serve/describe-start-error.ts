/**
 * Words for why the server could not start, from the error `startServer` threw: the common
 * operating-system refusals get a plain sentence and a hint, anything else its message.
 */

/** The part of the configuration the messages mention. */
export interface ListenConfig {
  host: string;
  port: number;
}

const REASONS: Record<string, (config: ListenConfig) => string> = {
  EADDRINUSE: (c) =>
    `cannot listen on ${c.host}:${c.port}: address already in use (set GATEHOUSE_PORT to a free port)`,
  EACCES: (c) => `cannot listen on ${c.host}:${c.port}: permission denied (ports below 1024 need privileges)`,
  EADDRNOTAVAIL: (c) =>
    `cannot listen on ${c.host}:${c.port}: address not available on this machine (check GATEHOUSE_HOST)`,
};

function findCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code in REASONS) return code;
  return findCode((error as { cause?: unknown }).cause, depth + 1);
}

/** One line saying why start-up failed, without a stack trace. */
export function describeStartError(error: unknown, config: ListenConfig): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  // The server's own start errors (ERR_SERVER_START) already say what failed and what to set.
  if ((error as { code?: unknown } | null)?.code === 'ERR_SERVER_START') return message;
  const code = findCode(error);
  if (code) return REASONS[code]!(config);
  return `cannot start: ${message}`;
}
