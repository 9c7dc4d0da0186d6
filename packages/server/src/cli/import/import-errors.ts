import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.ts';

/** The export file cannot be used: unreadable, not JSON, or not the shape Auth0's Management API answers. */
export class ImportInputError extends CliError {
  override readonly code = 'ERR_CLI_IMPORT_INPUT';
  override readonly exitCode = EXIT_USAGE;
}

/** The export conflicts with what gatehouse already holds; nothing was written. */
export class ImportConflictError extends CliError {
  override readonly code = 'ERR_CLI_IMPORT_CONFLICT';
  override readonly exitCode = EXIT_FAILURE;
}
