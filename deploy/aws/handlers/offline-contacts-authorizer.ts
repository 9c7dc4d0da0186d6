/**
 * serverless-offline only (stage `offline`): the contacts authorizer, with the one thing
 * serverless-offline does unlike API Gateway undone. It puts the account `random-account-id` in
 * `methodArn`, where API Gateway puts the 12-digit account id the authorizer insists on, so the
 * ARN gets a placeholder account on the way in and the answer's policy the offline one back.
 * Never deployed: serverless.yml picks this handler only for the offline stage.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { handler as authorize } from './contacts-authorizer.ts';

const OFFLINE_ACCOUNT = ':random-account-id:';
const PLACEHOLDER_ACCOUNT = ':000000000000:';

/** The offline stage's authorizer handler. */
export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const answer = (await authorize({
    ...event,
    methodArn: event.methodArn.replace(OFFLINE_ACCOUNT, PLACEHOLDER_ACCOUNT),
  })) as APIGatewayAuthorizerResult;
  const statements = answer.policyDocument.Statement.map((statement) =>
    'Resource' in statement
      ? {
          ...statement,
          Resource: [statement.Resource]
            .flat()
            .map((arn) => (arn ?? '').replace(PLACEHOLDER_ACCOUNT, OFFLINE_ACCOUNT)),
        }
      : statement,
  );
  return { ...answer, policyDocument: { ...answer.policyDocument, Statement: statements } };
}
