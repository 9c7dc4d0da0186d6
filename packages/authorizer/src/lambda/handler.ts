/**
 * The Lambda entry point the bundle is built from (`scripts/bundle-lambda.mjs`): handler
 * `index.handler`, configured from the environment (see `config.ts`). Keys, the deny-list and a
 * remote policy are fetched during init, so the first invocation usually finds them ready; with
 * the JWKS preloaded (`AUTHORIZER_JWKS`) nothing is fetched during init: the keys serve at once,
 * the JWKS is refreshed after the first answer, and a deny-list or remote policy is fetched on the
 * first invocation, which waits for it.
 */
import { registerIssuerProfiles } from '../verifier/issuer-profile.ts';
import { readLambdaConfig } from './config.ts';
import { createLambdaAuthorizer } from './create-lambda-authorizer.ts';

const { profileEnv, jwks, ...config } = readLambdaConfig();

/** One JSON line per event on stdout, which Lambda sends to CloudWatch Logs. */
function log(fields: Record<string, unknown>, message: string): void {
  console.log(JSON.stringify({ ...fields, msg: message }));
}

// another issuer's profile is a chunk of its own, read only when configured (docs/issuer-profiles.md)
const profile =
  config.issuerProfile === 'gatehouse'
    ? config
    : (await import('../verifier/profiles/factories.ts')).loadLambdaProfile(
        config,
        profileEnv,
        registerIssuerProfiles,
      );

/** The API Gateway Lambda authorizer handler. */
export const handler = createLambdaAuthorizer({
  ...config,
  ...profile,
  jwks,
  logger: { info: log, warn: log },
});

if (jwks === undefined) handler.authorizer.refresh().catch(() => {});
