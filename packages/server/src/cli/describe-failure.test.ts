import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { describeFailure } from './describe-failure.ts';
import { CliApiError, CliConnectionError, CliUsageError } from './errors.ts';

describe('describeFailure', () => {
  it('exits 2 for usage errors, from commander or the CLI', () => {
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', "unknown option '--x'"))).toEqual(
      {
        message: undefined,
        exitCode: 2,
      },
    );
    expect(describeFailure(new CliUsageError('missing admin credentials'))).toEqual({
      message: 'error: missing admin credentials',
      exitCode: 2,
    });
  });

  it('exits 0 after help or the version was shown', () => {
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')).exitCode).toBe(
      0,
    );
  });

  it('exits 1 for failed operations, with the message on one line', () => {
    expect(describeFailure(new CliConnectionError('cannot reach http://x/: connection refused'))).toEqual({
      message: 'error: cannot reach http://x/: connection refused',
      exitCode: 1,
    });
    expect(describeFailure(new CliApiError('404 Not Found', 404, undefined)).exitCode).toBe(1);
  });

  it('never includes a stack trace for an unexpected error', () => {
    const report = describeFailure(new TypeError('boom'));
    expect(report).toEqual({ message: 'error: unexpected failure: boom', exitCode: 1 });
  });
});
