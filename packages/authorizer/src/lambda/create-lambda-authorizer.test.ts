import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createLambdaAuthorizer, type LambdaAuthorizer } from './create-lambda-authorizer.ts';
import { type IamStatement, isArnAllowed } from './iam-policy.ts';

const BASE = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test';

/** A REST API TOKEN event as API Gateway sends it. */
function tokenEvent(
  authorizationToken: string,
  method: string,
  path: string,
): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', authorizationToken, methodArn: `${BASE}/${method}${path}` };
}

/** A REST API REQUEST event, shaped like the example in the API Gateway developer guide. */
function requestEvent(
  headers: Record<string, string>,
  method: string,
  path: string,
): APIGatewayRequestAuthorizerEvent {
  const event = {
    type: 'REQUEST',
    methodArn: `${BASE}/${method}${path}`,
    resource: '/contacts/{id}',
    path,
    httpMethod: method,
    headers: {
      'X-AMZ-Date': '20170718T062915Z',
      Accept: '*/*',
      Host: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      ...headers,
    },
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: { QueryString1: 'queryValue1' },
    multiValueQueryStringParameters: { QueryString1: ['queryValue1'] },
    pathParameters: {},
    stageVariables: { StageVar1: 'stageValue1' },
    requestContext: {
      path: `/test${path}`,
      accountId: '123456789012',
      resourceId: '05c7jb',
      stage: 'test',
      requestId: '...',
      identity: { apiKey: '...', sourceIp: '203.0.113.7' },
      resourcePath: '/contacts/{id}',
      httpMethod: method,
      apiId: 'abcdef123',
    },
  };
  return event as unknown as APIGatewayRequestAuthorizerEvent;
}

/** An HTTP API payload 2.0 event, shaped like the example in the API Gateway developer guide. */
function httpApiEvent(
  authorization: string | undefined,
  method: string,
  path: string,
): APIGatewayRequestAuthorizerEventV2 {
  const event = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/${method}${path}`,
    identitySource: authorization ? [authorization] : [],
    routeKey: `${method} /contacts/{id}`,
    rawPath: path,
    rawQueryString: 'parameter1=value1',
    cookies: ['cookie1'],
    headers: { ...(authorization ? { authorization } : {}), 'user-agent': 'agent' },
    queryStringParameters: { parameter1: 'value1' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef123',
      domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'agent' },
      requestId: 'id',
      routeKey: `${method} /contacts/{id}`,
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    pathParameters: { id: '42' },
    stageVariables: {},
  };
  return event as unknown as APIGatewayRequestAuthorizerEventV2;
}

function statements(result: unknown): IamStatement[] {
  return (result as APIGatewayAuthorizerResult).policyDocument.Statement as unknown as IamStatement[];
}

let idp: TestIssuer;
let lambda: LambdaAuthorizer;
let read: string;

beforeAll(async () => {
  idp = await startTestIssuer();
  lambda = createLambdaAuthorizer({ issuer: idp.issuer, audience: idp.audience, policy: contactsPolicy });
  read = await idp.mint({ scope: 'read:contacts' });
});

afterAll(async () => {
  lambda.authorizer.close();
  await idp.close();
});

describe('REST API TOKEN authorizer', () => {
  it('allows a token and puts client_id and scope in the context', async () => {
    const result = (await lambda(
      tokenEvent(`Bearer ${read}`, 'GET', '/contacts/42'),
    )) as APIGatewayAuthorizerResult;
    expect(result.principalId).toBe('svc-a');
    expect(result.context).toEqual({ client_id: 'svc-a', scope: 'read:contacts', sub: 'svc-a' });
    expect(isArnAllowed(statements(result), `${BASE}/GET/contacts/42`)).toBe(true);
  });

  it('answers with a policy that stays right when API Gateway reuses it for other routes', async () => {
    const result = await lambda(tokenEvent(`Bearer ${read}`, 'GET', '/contacts'));
    const policy = statements(result);
    expect(isArnAllowed(policy, `${BASE}/GET/contacts`)).toBe(true);
    expect(isArnAllowed(policy, `${BASE}/GET/contacts/7`)).toBe(true);
    expect(isArnAllowed(policy, `${BASE}/HEAD/contacts/7`)).toBe(true);
    // the cached allow must not be reused for another method or route
    expect(isArnAllowed(policy, `${BASE}/POST/contacts`)).toBe(false);
    expect(isArnAllowed(policy, `${BASE}/DELETE/contacts/7`)).toBe(false);
    expect(isArnAllowed(policy, `${BASE}/GET/admin`)).toBe(false);
  });

  it('answers a missing scope with a policy that does not allow the route (API Gateway answers 403)', async () => {
    const result = await lambda(tokenEvent(`Bearer ${read}`, 'DELETE', '/contacts/42'));
    expect(isArnAllowed(statements(result), `${BASE}/DELETE/contacts/42`)).toBe(false);
    expect(isArnAllowed(statements(result), `${BASE}/GET/contacts/42`)).toBe(true);
  });

  it('denies every route to a valid token whose scopes allow none', async () => {
    const result = await lambda(
      tokenEvent(`Bearer ${await idp.mint({ scope: 'other' })}`, 'GET', '/contacts'),
    );
    expect(statements(result)).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${BASE}/GET/contacts`] },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${BASE}/*`] },
    ]);
  });

  it.each([
    ['no token', () => ''],
    ['a forged token', () => `Bearer ${read.slice(0, -4)}AAAA`],
    ['another scheme', () => 'Basic dXNlcjpwYXNz'],
    ['a malformed header', () => 'Bearer a b'],
  ])('throws Unauthorized for %s (API Gateway answers 401)', async (_name, header) => {
    await expect(lambda(tokenEvent(header(), 'GET', '/contacts'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('fails closed with another error when keys are unavailable (API Gateway answers 500)', async () => {
    const down = await startTestIssuer();
    down.setAvailable(false);
    const failing = createLambdaAuthorizer({
      issuer: down.issuer,
      audience: down.audience,
      policy: contactsPolicy,
    });
    try {
      const error = await failing(tokenEvent(`Bearer ${await down.mint()}`, 'GET', '/contacts')).catch(
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toBe('Unauthorized');
    } finally {
      await down.close();
    }
  });

  it('throws Unauthorized for an event whose ARN it cannot read', async () => {
    await expect(
      lambda({ type: 'TOKEN', authorizationToken: `Bearer ${read}`, methodArn: 'nonsense' }),
    ).rejects.toThrow('Unauthorized');
  });
});

describe('REST API REQUEST authorizer', () => {
  it('reads the Authorization header whatever its case', async () => {
    for (const name of ['Authorization', 'authorization', 'AUTHORIZATION']) {
      const result = await lambda(requestEvent({ [name]: `Bearer ${read}` }, 'GET', '/contacts/42'));
      expect(isArnAllowed(statements(result), `${BASE}/GET/contacts/42`)).toBe(true);
    }
  });

  it('throws Unauthorized when the header is missing', async () => {
    await expect(lambda(requestEvent({}, 'GET', '/contacts/42'))).rejects.toThrow('Unauthorized');
  });
});

describe('HTTP API (payload 2.0) authorizer', () => {
  it('answers simple responses with the caller in the context', async () => {
    expect(await lambda(httpApiEvent(`Bearer ${read}`, 'GET', '/contacts/42'))).toEqual({
      isAuthorized: true,
      context: { client_id: 'svc-a', scope: 'read:contacts', sub: 'svc-a' },
    });
    expect(await lambda(httpApiEvent(`Bearer ${read}`, 'DELETE', '/contacts/42'))).toEqual({
      isAuthorized: false,
      context: {},
    });
    expect(await lambda(httpApiEvent(undefined, 'GET', '/contacts/42'))).toEqual({
      isAuthorized: false,
      context: {},
    });
  });

  it('answers IAM policies over routeArn when configured so', async () => {
    const iam = createLambdaAuthorizer({ authorizer: lambda.authorizer, httpApiResponse: 'iam' });
    const result = await iam(httpApiEvent(`Bearer ${read}`, 'GET', '/contacts/42'));
    const base = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default';
    expect(isArnAllowed(statements(result), `${base}/GET/contacts/42`)).toBe(true);
    expect(isArnAllowed(statements(result), `${base}/POST/contacts`)).toBe(false);
  });
});

describe('policies IAM cannot express exactly', () => {
  it('answers for the single method ARN when a {param} pattern would reach a stricter route', async () => {
    const az = createLambdaAuthorizer({
      issuer: idp.issuer,
      audience: idp.audience,
      policy: {
        routes: [
          { method: 'GET', path: '/files/{id}', scopes: ['read:contacts'] },
          { method: 'GET', path: '/files/*', scopes: ['admin'] },
        ],
      },
    });
    try {
      const result = await az(tokenEvent(`Bearer ${read}`, 'GET', '/files/1'));
      expect(statements(result)).toEqual([
        { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${BASE}/GET/files/1`] },
      ]);
      const deeper = await az(tokenEvent(`Bearer ${read}`, 'GET', '/files/1/raw'));
      expect(isArnAllowed(statements(deeper), `${BASE}/GET/files/1/raw`)).toBe(false);
    } finally {
      az.authorizer.close();
    }
  });
});

describe('keys, deny-list and policy refreshed on invocation (no timers)', () => {
  it('enforces a revocation on the first invocation after the interval, however long the pause', async () => {
    let clock = Date.now();
    const az = createLambdaAuthorizer({
      issuer: idp.issuer,
      audience: idp.audience,
      policy: contactsPolicy,
      syncSeconds: 10,
      now: () => clock,
    });
    try {
      const token = await idp.mint({ scope: 'read:contacts', jti: 'lambda-revoked' });
      expect(await az(tokenEvent(`Bearer ${token}`, 'GET', '/contacts'))).toMatchObject({
        principalId: 'svc-a',
      });
      idp.feeds.revokeToken('lambda-revoked', Math.floor(clock / 1000) + 300);
      clock += 4000; // within half the interval: the known deny-list serves
      expect(await az(tokenEvent(`Bearer ${token}`, 'GET', '/contacts'))).toMatchObject({
        principalId: 'svc-a',
      });
      clock += 6001; // past the interval: this invocation waits for a fresh deny-list
      await expect(az(tokenEvent(`Bearer ${token}`, 'GET', '/contacts'))).rejects.toThrow('Unauthorized');
    } finally {
      az.authorizer.close();
    }
  });

  it('polls nothing between invocations', async () => {
    // The authorizer's clock stands still during the first invocation: on the real one, a first
    // invocation slower than half the interval (25 ms) starts a background poll that lands in the pause.
    let clock = Date.now();
    const az = createLambdaAuthorizer({
      issuer: idp.issuer,
      audience: idp.audience,
      policy: 'remote',
      syncSeconds: 0.05,
      now: () => clock,
    });
    idp.feeds.setPolicy(contactsPolicy.routes);
    try {
      expect(await az(tokenEvent(`Bearer ${read}`, 'GET', '/contacts'))).toMatchObject({
        principalId: 'svc-a',
      });
      const seen = idp.feeds.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 300)); // six intervals without an invocation
      expect(idp.feeds.requests.length).toBe(seen);
      clock += 300;
      expect(await az(tokenEvent(`Bearer ${read}`, 'GET', '/contacts'))).toMatchObject({
        principalId: 'svc-a',
      });
      expect(idp.feeds.requests.length).toBeGreaterThan(seen);
    } finally {
      az.authorizer.close();
      idp.feeds.setPolicy(null);
    }
  });
});
