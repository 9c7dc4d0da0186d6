import type { CompiledRoutePolicy } from '@gatehouse/protocol';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import {
  type AuthContext,
  type AuthorizeResult,
  type Authorizer,
  type AuthorizerOptions,
  createAuthorizer,
} from '../authorizer/create-authorizer.ts';
import { silentLogger } from '../logging/logger.ts';
import type { VerifierOptions } from '../verifier/create-verifier.ts';
import { buildTokenPolicy, type IamStatement, statement, type TokenPolicy } from './iam-policy.ts';
import { type MethodArn, parseMethodArn } from './method-arn.ts';

/** Events the Lambda authorizer answers: REST API TOKEN and REQUEST, HTTP API payload 2.0. */
export type LambdaAuthorizerEvent =
  | APIGatewayTokenAuthorizerEvent
  | APIGatewayRequestAuthorizerEvent
  | APIGatewayRequestAuthorizerEventV2;

/** What the backend finds in `$context.authorizer` (REST) or `$context.authorizer.lambda` (HTTP API). */
export interface LambdaAuthContext {
  readonly [key: string]: string;
  readonly client_id: string;
  readonly scope: string;
  readonly sub: string;
}

/** An IAM-policy answer, or an HTTP API simple answer. */
export type LambdaAuthorizerResult =
  | APIGatewayAuthorizerResult
  | APIGatewaySimpleAuthorizerWithContextResult<LambdaAuthContext | Record<string, never>>;

/** Options of {@link createLambdaAuthorizer}: those of `createAuthorizer`, and the HTTP API answer format. */
export type LambdaAuthorizerOptions = (AuthorizerOptions | { readonly authorizer: Authorizer }) & {
  /** HTTP API (payload 2.0) answer: `simple` (`enableSimpleResponses: true`, default) or `iam`. */
  readonly httpApiResponse?: 'simple' | 'iam' | undefined;
};

/** The Lambda handler, with the authorizer core it uses. */
export type LambdaAuthorizer = ((event: LambdaAuthorizerEvent) => Promise<LambdaAuthorizerResult>) & {
  readonly authorizer: Authorizer;
};

const TOKEN_POLICY_MEMO = 256;
/** Thrown (API Gateway answers 500, failing closed) when keys, the deny-list or the policy are not available. */
const UNAVAILABLE = 'Authorizer unavailable';

function headerOf(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  for (const key in headers) if (key.toLowerCase() === 'authorization') return headers[key];
  return undefined;
}

function contextOf(auth: AuthContext): LambdaAuthContext {
  const sub = auth.claims.sub;
  return {
    client_id: auth.clientId,
    scope: auth.scopes.join(' '),
    sub: typeof sub === 'string' ? sub : auth.clientId,
  };
}

/**
 * Creates an API Gateway Lambda authorizer over the authorizer core. REST API (TOKEN and REQUEST)
 * and HTTP API with IAM answers get a policy listing every route the token's scopes allow (see
 * `iam-policy.ts`), so API Gateway's per-token result cache is never wrong for another route;
 * a missing or bad token throws `Error('Unauthorized')` (API Gateway answers 401; HTTP API simple
 * answers say `isAuthorized: false`, a 403); unavailable keys throw another error (API Gateway
 * answers 500, failing closed). The context carries `client_id`, `scope` and `sub`.
 * Keys, the revocation feed and a remote policy are refreshed on invocation, not on timers, which
 * do not run while Lambda is frozen: past half the sync interval an invocation starts a refresh
 * without waiting for it; past the whole interval it waits, so a change is enforced within the
 * interval (plus the fetch) however sparse the invocations.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 */
export function createLambdaAuthorizer(options: LambdaAuthorizerOptions): LambdaAuthorizer {
  const authorizer =
    'authorizer' in options
      ? options.authorizer
      : createAuthorizer(
          'verifier' in options
            ? options
            : ({ backgroundRefresh: false, ...options } satisfies VerifierOptions),
        );
  const simple = options.httpApiResponse !== 'iam';
  const logger = ('logger' in options ? options.logger : undefined) ?? silentLogger;
  let memoFor: CompiledRoutePolicy | undefined;
  const memo = new Map<string, TokenPolicy>();

  function tokenPolicy(scopes: readonly string[], base: string): TokenPolicy {
    const policy = authorizer.policy();
    if (policy === undefined) throw new Error(UNAVAILABLE);
    if (memoFor !== policy) {
      memo.clear();
      memoFor = policy;
    }
    const key = `${base} ${[...scopes].sort().join(' ')}`;
    let found = memo.get(key);
    if (found === undefined) {
      found = buildTokenPolicy(policy.policy.routes, scopes, base);
      if (memo.size >= TOKEN_POLICY_MEMO) memo.clear();
      memo.set(key, found);
    }
    return found;
  }

  function iamAnswer(result: AuthorizeResult, arn: MethodArn, rawArn: string): APIGatewayAuthorizerResult {
    // a refused request with a valid token still gets the token's whole policy, so the cache stays right
    const auth = result.auth;
    if (auth === undefined) throw new Error('Unauthorized');
    const context = contextOf(auth);
    const policy = tokenPolicy(auth.scopes, arn.base);
    // this request's own ARN is stated too, so the answer holds for it even where the route policy
    // reads the path differently from IAM (case, encoding, a path it refuses to judge)
    const own = statement(result.ok ? 'Allow' : 'Deny', [rawArn]);
    let statements: IamStatement[];
    if (policy.exact) {
      statements = result.ok ? [...policy.statements, own] : [own, ...policy.statements];
    } else {
      logger.warn(
        { code: 'ERR_LAMBDA_POLICY_NOT_EXACT', scope: context.scope },
        'route policy not exact in IAM: answered for this ARN only (set authorizer TTL 0)',
      );
      statements = [own];
    }
    return {
      principalId: auth.clientId,
      policyDocument: { Version: '2012-10-17', Statement: statements },
      context,
    };
  }

  const handler = async (event: LambdaAuthorizerEvent): Promise<LambdaAuthorizerResult> => {
    // HTTP API payload 2.0 has routeArn; REST TOKEN has authorizationToken; REST REQUEST has headers
    const http = 'routeArn' in event;
    const rawArn = http ? event.routeArn : event.methodArn;
    const arn = parseMethodArn(rawArn);
    if (arn === null) throw new Error('Unauthorized');
    const authorization = 'authorizationToken' in event ? event.authorizationToken : headerOf(event.headers);
    const result = await authorizer.authorize({ method: arn.method, path: arn.path, authorization });
    if (!result.ok && result.error.status === 503) throw new Error(UNAVAILABLE);
    if (http && simple) {
      return result.ok
        ? { isAuthorized: true, context: contextOf(result.auth) }
        : { isAuthorized: false, context: {} };
    }
    return iamAnswer(result, arn, rawArn);
  };
  return Object.assign(handler, { authorizer });
}
