/**
 * The CLI's errors. Each has a stable `code` and the process exit code it maps to; `main.ts`
 * prints `message` on one line and exits with `exitCode`, never with a stack trace.
 *
 * Exit codes: 0 success, 1 the operation failed (server unreachable, refused, or answered an
 * error), 2 the command line was wrong (unknown command or flag, missing or malformed value).
 */

/** Exit code for a failed operation. */
export const EXIT_FAILURE = 1;
/** Exit code for a malformed command line. */
export const EXIT_USAGE = 2;

/** Base class of every error the CLI reports to the user. */
export class CliError extends Error {
  readonly code: string = 'ERR_CLI';
  readonly exitCode: number = EXIT_FAILURE;
}

/** The command line is wrong: a missing credential, a malformed or contradictory flag. */
export class CliUsageError extends CliError {
  override readonly code = 'ERR_CLI_USAGE';
  override readonly exitCode = EXIT_USAGE;
}

/** The server could not be reached at all (refused, unknown host, timed out). */
export class CliConnectionError extends CliError {
  override readonly code = 'ERR_CLI_CONNECTION';
}

/**
 * The token endpoint refused the client (RFC 6749 section 5.2 error).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class CliTokenError extends CliError {
  override readonly code = 'ERR_CLI_TOKEN';
  constructor(
    message: string,
    readonly status: number,
    readonly oauthError: string | undefined,
  ) {
    super(message);
  }
}

/** The Management API answered an error (Auth0 shape `{statusCode, error, message, errorCode}`). */
export class CliApiError extends CliError {
  override readonly code = 'ERR_CLI_API';
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

/** The server answered something that is not what the protocol promises (not JSON, wrong shape). */
export class CliResponseError extends CliError {
  override readonly code = 'ERR_CLI_RESPONSE';
}

/** The server could not start (bad configuration, port in use). */
export class CliServeError extends CliError {
  override readonly code = 'ERR_CLI_SERVE';
}
