/**
 * Runs the `gatehouse` command tree in-process against a test server, as `main.ts` would, and
 * captures what it writes: for CLI tests that need no separate process.
 */
import { parseCliEnvironment } from '../cli/config.ts';
import { describeFailure } from '../cli/describe-failure.ts';
import { createProgram } from '../cli/program.ts';
import type { TestServer } from './start-test-server.ts';

/** What a command wrote and how it would exit. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse <args>` as the test server's admin. */
export async function runCli(server: TestServer, args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const program = createProgram({
    writer: { out: (text) => out.push(text), err: (text) => err.push(text) },
    env: parseCliEnvironment({
      GATEHOUSE_ISSUER: server.issuer,
      GATEHOUSE_ADMIN_CLIENT_ID: server.admin.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: server.admin.clientSecret,
    }),
    serverEnv: () => ({}),
  });
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    const { message, exitCode } = describeFailure(error);
    if (message) err.push(message);
    code = exitCode;
  }
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
