/**
 * The Lambda entry point the bundle is built from (`scripts/bundle-lambda.mjs`): handler
 * `index.handler`, configured from the environment (see `config.ts`). Keys, the deny-list and a
 * remote policy are fetched during init, so the first invocation usually finds them ready.
 */
import { readLambdaConfig } from './config.ts';
import { createLambdaAuthorizer } from './create-lambda-authorizer.ts';

const config = readLambdaConfig();

/** One JSON line per event on stdout, which Lambda sends to CloudWatch Logs. */
function log(fields: Record<string, unknown>, message: string): void {
  console.log(JSON.stringify({ ...fields, msg: message }));
}

/** The API Gateway Lambda authorizer handler. */
export const handler = createLambdaAuthorizer({
  ...config,
  logger: { info: log, warn: log },
});

handler.authorizer.refresh().catch(() => {});
