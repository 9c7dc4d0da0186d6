/**
 * The contacts API's Lambda authorizer (REST API, TOKEN type): verifies the bearer token against
 * the issuer's public keys and answers with an IAM policy listing the routes the token's scopes
 * allow. Its configuration holds only the issuer, the audience and, when preloaded at deploy time,
 * the issuer's public keys (`AUTHORIZER_JWKS`); the route policy
 * (deploy/policies/contacts-policy.json) is bundled with the code.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 */
import { createJsonLogger, createLambdaAuthorizer } from '@gatehouse/authorizer';
import policy from '../../policies/contacts-policy.json' with { type: 'json' };
import { readAuthorizerConfig } from './config.ts';

const { issuer, audience, jwks } = readAuthorizerConfig(process.env);

/** The handler API Gateway invokes for each method of the contacts API. */
export const handler = createLambdaAuthorizer({
  issuer,
  audience,
  policy,
  jwks,
  logger: createJsonLogger((line) => console.log(line), { service: 'gatehouse-contacts-authorizer' }),
});

// Fetch the keys during init, so the first request usually finds them ready; preloaded keys serve
// at once, and are refreshed after the first answer.
if (jwks === undefined) handler.authorizer.verifier.refresh().catch(() => {});
