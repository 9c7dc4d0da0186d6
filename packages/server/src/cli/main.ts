/**
 * Entry point of the `gatehouse` bin: reads the environment once (through `config.ts`), runs the
 * command tree, and turns every failure into one `error: ...` line and an exit code (0 success,
 * 1 failed operation, 2 usage error). No stack trace is ever printed.
 */
import { readCliEnvironment, readServerEnvironment } from './config.ts';
import { describeFailure } from './describe-failure.ts';
import { processWriter } from './output/writer.ts';
import { createProgram } from './program.ts';

// A reader that stops early (`gatehouse clients list | head -1`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

const program = createProgram({
  writer: processWriter,
  env: readCliEnvironment(),
  serverEnv: readServerEnvironment,
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const { message, exitCode } = describeFailure(error);
  if (message) processWriter.err(message);
  process.exitCode = exitCode;
}
