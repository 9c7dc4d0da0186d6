/**
 * Turns anything a command threw into the one line to print and the exit code: 0 success,
 * 1 failed operation, 2 usage error. No stack trace is ever part of the line.
 */
import { CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.ts';

/** What to tell the user about a failure, and how to exit. */
export interface FailureReport {
  /** The line for stderr; undefined when commander printed its own message or help already. */
  message: string | undefined;
  exitCode: number;
}

/** Maps any thrown value to the line to print and the exit code. */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof CommanderError) {
    return { message: undefined, exitCode: error.exitCode === 0 ? 0 : EXIT_USAGE };
  }
  if (error instanceof CliError) return { message: `error: ${error.message}`, exitCode: error.exitCode };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `error: unexpected failure: ${text.split('\n')[0]}`, exitCode: EXIT_FAILURE };
}
