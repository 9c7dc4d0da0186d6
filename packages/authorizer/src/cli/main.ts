/**
 * `gatehouse-authorizer`: the authorizer's command line. `forward-auth`, the HTTP endpoint nginx
 * (`auth_request`), Traefik (ForwardAuth) and Envoy (`ext_authz`) ask; `jwks`, the issuer's JWKS
 * printed for a Lambda authorizer to preload (`AUTHORIZER_JWKS`).
 */
import { parseArgs } from 'node:util';
import { RoutePolicyError } from '@gatehouse/protocol';
import { createAuthorizer } from '../authorizer/create-authorizer.ts';
import { ConfigurationError } from '../errors/errors.ts';
import { createForwardAuthServer } from '../forward-auth/create-forward-auth-server.ts';
import { fetchPreloadJwks } from '../jwks/preload-jwks.ts';
import { createJsonLogger } from '../logging/logger.ts';
import { loadRoutePolicyFile } from '../policy/load-policy-file.ts';
import '../verifier/profiles/index.ts';
import { ConfigError, readForwardAuthConfig } from './config.ts';

const USAGE = `Usage: gatehouse-authorizer forward-auth [options]

Verifies bearer tokens for a reverse proxy and checks the route policy.
  nginx auth_request   -> GET /nginx     (X-Original-Method, X-Original-URI)
  Traefik ForwardAuth  -> GET /traefik   (X-Forwarded-Method, X-Forwarded-Uri)
  Envoy ext_authz HTTP -> <envoy-prefix>/<original path>, original method

Options (environment fallback in brackets):
  --issuer <url>            token issuer [GATEHOUSE_ISSUER, default http://localhost:4000/]
  --audience <id>           API identifier tokens must name; for cognito, the accepted
                            app client ids, comma-separated [AUTHORIZER_AUDIENCE, required]
  --policy <file|remote>    route policy JSON file, or remote: the API's routes on the
                            server, followed live [AUTHORIZER_POLICY, required]
  --sync-seconds <n>        how often keys, deny-list and remote policy are refreshed
                            [GATEHOUSE_SYNC_SECONDS, default 10]
  --port <n>                listen port [AUTHORIZER_PORT, default 4002]
  --host <addr>             listen address [AUTHORIZER_HOST, default 0.0.0.0]
  --issuer-profile <name>   gatehouse|auth0|cognito|keycloak|generic [AUTHORIZER_ISSUER_PROFILE]
  --resource-server <id>    cognito: resource server whose <id>/<scope> scopes count
                            [AUTHORIZER_RESOURCE_SERVER]
  --scope-claim <name>      generic: claim holding the scopes [AUTHORIZER_SCOPE_CLAIM, scope]
  --audience-claim <name>   generic: claim holding the audience [AUTHORIZER_AUDIENCE_CLAIM, aud]
  --client-id-claim <name>  generic: claim naming the client [AUTHORIZER_CLIENT_ID_CLAIM, client_id]
  --jwks-uri <url>          skip discovery [AUTHORIZER_JWKS_URI]
  --envoy-prefix <path>     Envoy path_prefix [AUTHORIZER_ENVOY_PREFIX, default /envoy]

Usage: gatehouse-authorizer jwks [--issuer <url>] [--jwks-uri <url>]

Prints the issuer's JWKS for AUTHORIZER_JWKS of the Lambda authorizer (keys preloaded at
deploy time: no fetch at cold start): only the keys it verifies with, only the members it
reads. Keys left out are named on stderr. [GATEHOUSE_ISSUER, AUTHORIZER_JWKS_URI]
`;

async function printJwks(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { issuer: { type: 'string' }, 'jwks-uri': { type: 'string' } },
    strict: true,
  });
  const issuer = values.issuer ?? process.env.GATEHOUSE_ISSUER ?? 'http://localhost:4000/';
  const jwksUri = values['jwks-uri'] ?? process.env.AUTHORIZER_JWKS_URI;
  if (!/^https?:\/\/[^\s/]/.test(issuer) || (jwksUri !== undefined && !/^https?:\/\/[^\s/]/.test(jwksUri)))
    throw new ConfigError('--issuer and --jwks-uri must be http(s) URLs');
  const { jwks, skipped } = await fetchPreloadJwks({ issuer, jwksUri });
  for (const { kid, reason } of skipped)
    process.stderr.write(`gatehouse-authorizer: key ${JSON.stringify(kid ?? null)} left out (${reason})\n`);
  process.stdout.write(`${JSON.stringify(jwks)}\n`);
}

async function forwardAuth(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      issuer: { type: 'string' },
      audience: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      policy: { type: 'string' },
      'issuer-profile': { type: 'string' },
      'jwks-uri': { type: 'string' },
      'envoy-prefix': { type: 'string' },
      'sync-seconds': { type: 'string' },
      'resource-server': { type: 'string' },
      'scope-claim': { type: 'string' },
      'audience-claim': { type: 'string' },
      'client-id-claim': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = readForwardAuthConfig(values);
  const logger = createJsonLogger((line) => process.stderr.write(`${line}\n`), {
    service: 'gatehouse-authorizer',
  });
  const policy = config.policy === 'remote' ? 'remote' : await loadRoutePolicyFile(config.policy);
  const authorizer = createAuthorizer({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    issuerProfile: config.issuerProfile,
    syncSeconds: config.syncSeconds,
    policy,
    logger,
  });
  // warm keys, deny-list and policy; failures are logged, and requests answer 503 until they arrive
  authorizer.refresh().catch(() => {});
  const server = createForwardAuthServer({ authorizer, envoyPrefix: config.envoyPrefix, logger });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    logger.info(
      {
        port,
        host: config.host,
        issuer: config.issuer,
        audience: config.audience,
        routes: policy === 'remote' ? 'remote' : policy.routes.length,
        syncSeconds: config.syncSeconds,
      },
      'forward-auth listening',
    );
  });
  const stop = () => {
    authorizer.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'forward-auth') return forwardAuth(rest);
  if (command === 'jwks') return printJwks(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  throw new ConfigError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known =
    error instanceof ConfigError ||
    error instanceof ConfigurationError ||
    error instanceof RoutePolicyError ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
  process.stderr.write(`gatehouse-authorizer: ${known ? (error as Error).message : String(error)}\n`);
  process.exitCode = known ? 2 : 1;
});
