/**
 * Test fixture: the parts of API Gateway (REST API) that sit between a client and the contacts
 * Lambda handlers, built from AWS's documented shapes: the TOKEN authorizer call with its
 * `methodArn`, the authorizer result cache (per token, default TTL 300 s), IAM policy evaluation
 * (explicit Deny wins, `*` and `?` wildcards), the default UNAUTHORIZED / ACCESS_DENIED gateway
 * responses, and the proxy integration event with `requestContext.authorizer`.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const API_ID = 'a1b2c3d4e5';
const STAGE = 'prod';

/** A method of the REST API: its resource template and Lambda handler. */
export interface GatewayRoute {
  method: string;
  resource: '/contacts' | '/contacts/{id}';
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
}

/** One client request to the emulated stage. */
export interface GatewayRequest {
  method: string;
  path: string;
  authorization?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
}

/** What the stage answered, and whether the authorizer / handler ran. */
export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  authorizerCalls: number;
}

type Authorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** Creates a stage with a TOKEN authorizer (identity source: the Authorization header) on every method. */
export function createApiGateway(authorizer: Authorizer, routes: GatewayRoute[], cacheTtlSeconds = 300) {
  const cache = new Map<string, { result: APIGatewayAuthorizerResult; until: number }>();
  let authorizerCalls = 0;

  function arnOf(method: string, path: string): string {
    return `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${STAGE}/${method}${path}`;
  }

  function match(method: string, path: string): { route: GatewayRoute; id?: string } | undefined {
    const id = /^\/contacts\/([^/]+)$/.exec(path)?.[1];
    const resource = path === '/contacts' ? '/contacts' : id ? '/contacts/{id}' : undefined;
    const route = routes.find((r) => r.method === method && r.resource === resource);
    return route ? { route, ...(id ? { id: decodeURIComponent(id) } : {}) } : undefined;
  }

  return {
    methodArn: arnOf,
    async send(req: GatewayRequest): Promise<GatewayAnswer> {
      const found = match(req.method, req.path);
      if (!found) return gatewayError(403, 'Missing Authentication Token', authorizerCalls);
      // The identity source is required: without it API Gateway answers 401 and skips the authorizer.
      if (!req.authorization) return gatewayError(401, 'Unauthorized', authorizerCalls);
      const methodArn = arnOf(req.method, req.path);
      let result = cacheTtlSeconds > 0 ? cache.get(req.authorization) : undefined;
      if (!result || result.until < Date.now()) {
        authorizerCalls++;
        try {
          const answer = await authorizer({
            type: 'TOKEN',
            authorizationToken: req.authorization,
            methodArn,
          });
          result = { result: answer, until: Date.now() + cacheTtlSeconds * 1000 };
          if (cacheTtlSeconds > 0) cache.set(req.authorization, result);
        } catch (error) {
          if (error instanceof Error && error.message === 'Unauthorized') {
            return gatewayError(401, 'Unauthorized', authorizerCalls);
          }
          return gatewayError(500, null, authorizerCalls); // AUTHORIZER_FAILURE
        }
      }
      if (!isAllowed(result.result, methodArn)) {
        return gatewayError(
          403,
          'User is not authorized to access this resource with an explicit deny',
          authorizerCalls,
        );
      }
      const event = proxyEvent(req, found.route.resource, found.id, result.result);
      const out = await found.route.handler(event);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(out.headers ?? {})) headers[k.toLowerCase()] = String(v);
      return { status: out.statusCode, headers, body: out.body, authorizerCalls };
    },
  };
}

function gatewayError(status: number, message: string | null, authorizerCalls: number): GatewayAnswer {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': status === 401 ? 'UnauthorizedException' : 'AccessDeniedException',
    },
    body: JSON.stringify({ message }),
    authorizerCalls,
  };
}

/** IAM evaluation for execute-api:Invoke: an explicit Deny wins, then any Allow; nothing matching is a deny. */
function isAllowed(result: APIGatewayAuthorizerResult, arn: string): boolean {
  let allowed = false;
  for (const statement of result.policyDocument.Statement) {
    if (!('Resource' in statement)) continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    if (!resources.some((r) => globMatch(String(r), arn))) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

function proxyEvent(
  req: GatewayRequest,
  resource: string,
  id: string | undefined,
  auth: APIGatewayAuthorizerResult,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: req.authorization ?? '',
    Host: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
    'User-Agent': 'gatehouse-test',
    'X-Amzn-Trace-Id': `Root=1-${randomUUID().slice(0, 8)}`,
    'X-Forwarded-For': '127.0.0.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...req.headers,
  };
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  const now = Date.now();
  return {
    resource,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: req.query ?? null,
    multiValueQueryStringParameters: req.query
      ? Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: id === undefined ? null : { id },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      authorizer: { ...(auth.context ?? {}), principalId: auth.principalId, integrationLatency: 3 },
      domainName: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
      domainPrefix: API_ID,
      extendedRequestId: randomUUID(),
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'gatehouse-test',
        userArn: null,
      },
      path: `/${STAGE}${req.path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'abc123',
      resourcePath: resource,
      stage: STAGE,
    },
    body: req.body ?? null,
    isBase64Encoded: false,
  };
}
