/**
 * Where the authorizer tells operators why it refused a request or could not refresh keys. Pino's
 * `(fields, message)` signature, so a pino logger can be passed as is. Fields never hold a token.
 */
export interface AuthorizerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything (the library default). */
export const silentLogger: AuthorizerLogger = {
  info() {},
  warn() {},
};

/** A logger writing one JSON object per line through `write` (stderr in the CLI, console in Lambda). */
export function createJsonLogger(
  write: (line: string) => void,
  base: Record<string, unknown> = {},
): AuthorizerLogger {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) => {
    write(JSON.stringify({ level, time: new Date().toISOString(), ...base, ...fields, msg: message }));
  };
  return { info: log('info'), warn: log('warn') };
}
