/**
 * `gatehouse serve`: starts the authorization server from the `GATEHOUSE_*` variables (flags
 * override the matching variable), prints the banner, and closes gracefully on SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { CliServeError } from '../errors.ts';
import { formatBanner } from './banner.ts';
import { describeStartError } from './describe-start-error.ts';

/** Path of the rendered Management API reference on the server. */
export const DOCS_PATH = 'docs';

/** How long a graceful close may take before the process gives up and exits 1. */
export const CLOSE_TIMEOUT_MS = 10_000;

/** Flags of `serve` and the variable each one stands for. */
const FLAG_VARIABLES = {
  port: 'GATEHOUSE_PORT',
  host: 'GATEHOUSE_HOST',
  issuer: 'GATEHOUSE_ISSUER',
  dataDir: 'GATEHOUSE_DATA_DIR',
} as const;

type ServeFlags = Partial<Record<keyof typeof FLAG_VARIABLES, string>>;

const FLAG_NAMES: Record<keyof typeof FLAG_VARIABLES, string> = {
  port: '--port',
  host: '--host',
  issuer: '--issuer',
  dataDir: '--data-dir',
};

/** The server environment with flags written over their variables, and which variables came from flags. */
export function applyServeFlags(
  env: Record<string, string | undefined>,
  flags: ServeFlags,
): { env: Record<string, string | undefined>; fromFlags: Map<string, string> } {
  const out = { ...env };
  const fromFlags = new Map<string, string>();
  for (const [key, variable] of Object.entries(FLAG_VARIABLES) as [keyof typeof FLAG_VARIABLES, string][]) {
    const value = flags[key];
    if (value === undefined) continue;
    out[variable] = value;
    fromFlags.set(variable, FLAG_NAMES[key]);
  }
  return { env: out, fromFlags };
}

/** The part of `startServer`'s answer the command uses. */
interface RunningServer {
  /** Base URL, with or without a trailing slash. */
  url: string;
  issuer: string;
  adminCredentials?: { clientId: string; clientSecret: string; generated: boolean } | undefined;
  close(): Promise<void>;
}

async function start(
  env: Record<string, string | undefined>,
  fromFlags: Map<string, string>,
): Promise<RunningServer> {
  // Loaded here, not at the top: admin commands never pay for loading the server.
  const { loadConfig, ConfigError } = await import('../../config.ts');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const flag = fromFlags.get(error.variable);
      throw new CliServeError(`configuration error: ${flag ? `${flag} (${error.message})` : error.message}`);
    }
    throw error;
  }
  const { startServer } = await import('../../serve.ts');
  try {
    return await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliServeError(`configuration error: ${error.message}`);
    throw new CliServeError(describeStartError(error, config));
  }
}

/** A first SIGINT/SIGTERM, listened for from the very start so none is missed, and any later one. */
interface StopSignals {
  /** Resolves with the first signal. */
  first: Promise<NodeJS.Signals>;
  /** Called on every signal after the first. */
  onRepeat(listener: (signal: NodeJS.Signals) => void): void;
}

function listenForStopSignals(): StopSignals {
  let resolveFirst: (signal: NodeJS.Signals) => void = () => {};
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  let received = false;
  let repeat: (signal: NodeJS.Signals) => void = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return repeat(signal);
    received = true;
    resolveFirst(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    first,
    onRepeat: (listener) => {
      repeat = listener;
    },
  };
}

/** Waits for the first stop signal, then closes the server; resolves with the exit code. */
async function closeOnSignal(
  server: RunningServer,
  signals: StopSignals,
  context: CliContext,
): Promise<number> {
  const signal = await signals.first;
  context.writer.err(`\n${signal} received: closing (waiting for requests in flight)...`);
  return new Promise((resolve) => {
    signals.onRepeat((again) => {
      context.writer.err(`${again} again: exiting without waiting.`);
      resolve(1);
    });
    const timer = setTimeout(() => {
      context.writer.err(`error: the server did not close within ${CLOSE_TIMEOUT_MS / 1000} s`);
      resolve(1);
    }, CLOSE_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => {
        clearTimeout(timer);
        context.writer.err('gatehouse stopped.');
        resolve(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        context.writer.err(
          `error: closing failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        resolve(1);
      },
    );
  });
}

/** Builds the `serve` command. */
export function createServeCommand(context: CliContext): Command {
  return new Command('serve')
    .description('run the authorization server (token endpoint, JWKS, discovery, Management API)')
    .summary('run the authorization server')
    .option('--port <port>', 'port to listen on; 0 picks a free one (env GATEHOUSE_PORT, default 4000)')
    .option('--host <address>', 'address to listen on (env GATEHOUSE_HOST, default 127.0.0.1)')
    .option(
      '--issuer <url>',
      'issuer URL in tokens, ending in / (env GATEHOUSE_ISSUER, default http://localhost:<port>/)',
    )
    .option(
      '--data-dir <path>',
      'directory of the embedded store and local key (env GATEHOUSE_DATA_DIR, default ./.gatehouse)',
    )
    .addHelpText(
      'after',
      `
Configuration comes from GATEHOUSE_* variables (see docs/cli.md); a flag overrides its variable.
Other variables: GATEHOUSE_STORE, GATEHOUSE_DATABASE_URL, GATEHOUSE_DYNAMODB_TABLE,
GATEHOUSE_DYNAMODB_ENDPOINT, GATEHOUSE_KEK, GATEHOUSE_ADMIN_CLIENT_ID, GATEHOUSE_ADMIN_CLIENT_SECRET,
GATEHOUSE_LOG_LEVEL.

When GATEHOUSE_ADMIN_CLIENT_ID/SECRET are unset, the first start generates an admin client and
prints its credentials once on stderr; logs (JSON lines) go to stdout.

Examples:
  $ gatehouse serve
  $ GATEHOUSE_DATA_DIR=/var/lib/gatehouse GATEHOUSE_ISSUER=https://auth.example.com/ gatehouse serve
  $ gatehouse serve --port 0 --data-dir "$(mktemp -d)"`,
    )
    .action(async (flags: ServeFlags) => {
      const { env, fromFlags } = applyServeFlags(context.serverEnv(), flags);
      // Listen before starting: a signal during start-up still closes the server cleanly once it is up.
      const signals = listenForStopSignals();
      const server = await start(env, fromFlags);
      const generated = server.adminCredentials?.generated ? server.adminCredentials : undefined;
      context.writer.err(
        formatBanner({
          url: server.url,
          issuer: server.issuer,
          docsPath: DOCS_PATH,
          generatedAdmin: generated,
        }),
      );
      const code = await closeOnSignal(server, signals, context);
      process.exit(code);
    });
}
