/**
 * The generic profile against oidc-provider@8.8.1, a real OpenID Connect server from npm: the token
 * client gets (and caches) its JWT access tokens through client credentials with an RFC 8707
 * resource indicator, and the verifier, the forward-auth server and the Lambda authorizer accept
 * and scope-check them, finding the keys through oidc-provider's own discovery document.
 */
import type { AddressInfo } from 'node:net';
import { createTokenClient, type TokenClient } from '@gatehouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OidcProviderIssuer,
  startOidcProviderIssuer,
} from '../../../../client/src/testing/oidc-provider-issuer.ts';
import { type Authorizer, createAuthorizer } from '../../authorizer/create-authorizer.ts';
import { createForwardAuthServer } from '../../forward-auth/create-forward-auth-server.ts';
import { createLambdaAuthorizer, type LambdaAuthorizerEvent } from '../../lambda/create-lambda-authorizer.ts';
import { contactsPolicy } from '../../testing/adapter-contract.ts';
import './index.ts';

const RESOURCE = 'https://contacts.gatehouse.local/';
const SECRET = 'oidc-provider-client-secret-0123456789-abcdefghijklmnop';
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

let op: OidcProviderIssuer;
let reader: TokenClient;
let writer: TokenClient;
let authorizer: Authorizer;

beforeAll(async () => {
  op = await startOidcProviderIssuer({
    clientId: 'read-service',
    clientSecret: SECRET,
    resource: RESOURCE,
    scopes: 'read:contacts write:contacts',
    accessTokenTtlSeconds: 600,
  });
  const client = (scope: string) =>
    createTokenClient({
      issuer: op.issuer,
      clientId: 'read-service',
      clientSecret: SECRET,
      resource: RESOURCE,
      scope,
    });
  reader = client('read:contacts');
  writer = client('read:contacts write:contacts');
  authorizer = createAuthorizer({
    issuer: op.issuer,
    audience: RESOURCE,
    issuerProfile: 'generic',
    policy: contactsPolicy,
  });
});

afterAll(async () => {
  reader.close();
  writer.close();
  authorizer.close();
  await op.close();
});

describe('oidc-provider tokens under the generic profile', () => {
  it('are fetched once and cached by the token client', async () => {
    const before = op.tokenRequests();
    const token = await reader.getToken();
    expect(await reader.getToken()).toBe(token);
    expect(op.tokenRequests() - before).toBe(1);
  });

  it('are accepted and scope-checked by the verifier', async () => {
    const verified = await authorizer.verifier.verify(await reader.getToken());
    expect(verified).toMatchObject({ clientId: 'read-service', scopes: ['read:contacts'] });
    const read = await authorizer.authorize({
      method: 'GET',
      path: '/contacts',
      authorization: `Bearer ${await reader.getToken()}`,
    });
    expect(read.ok).toBe(true);
    const write = await authorizer.authorize({
      method: 'POST',
      path: '/contacts',
      authorization: `Bearer ${await reader.getToken()}`,
    });
    expect(write.ok ? 200 : write.error.status).toBe(403);
    const allowed = await authorizer.authorize({
      method: 'POST',
      path: '/contacts',
      authorization: `Bearer ${await writer.getToken()}`,
    });
    expect(allowed.ok).toBe(true);
  });

  it('are refused for another API', async () => {
    const other = createAuthorizer({
      issuer: op.issuer,
      audience: 'https://billing.example/',
      issuerProfile: 'generic',
      policy: contactsPolicy,
    });
    try {
      const result = await other.authorize({
        method: 'GET',
        path: '/contacts',
        authorization: `Bearer ${await reader.getToken()}`,
      });
      expect(result.ok ? 200 : result.error.code).toBe('ERR_JWT_CLAIM_INVALID');
    } finally {
      other.close();
    }
  });

  it('pass and fail at the forward-auth server as nginx would ask', async () => {
    const server = createForwardAuthServer({ authorizer });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ask = async (method: string, token: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/nginx`, {
        headers: {
          'x-original-method': method,
          'x-original-uri': '/contacts',
          authorization: `Bearer ${token}`,
        },
      });
      return { status: res.status, client: res.headers.get('x-auth-client-id') };
    };
    try {
      expect(await ask('GET', await reader.getToken())).toEqual({ status: 200, client: 'read-service' });
      expect((await ask('POST', await reader.getToken())).status).toBe(403);
      expect((await ask('POST', await writer.getToken())).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('are allowed by the Lambda authorizer for the routes their scopes cover', async () => {
    const lambda = createLambdaAuthorizer({
      issuer: op.issuer,
      audience: RESOURCE,
      issuerProfile: 'generic',
      policy: contactsPolicy,
    });
    try {
      const event = (token: string, method: string): LambdaAuthorizerEvent => ({
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: `${ARN}/${method}/contacts`,
      });
      const allowed = async (token: string, method: string) => {
        const answer = await lambda(event(token, method));
        const statements = 'policyDocument' in answer ? answer.policyDocument.Statement : [];
        return JSON.stringify(statements.filter((s) => s.Effect === 'Allow')).includes(
          `${ARN}/${method}/contacts`,
        );
      };
      expect(await allowed(await reader.getToken(), 'GET')).toBe(true);
      expect(await allowed(await reader.getToken(), 'POST')).toBe(false);
      expect(await allowed(await writer.getToken(), 'POST')).toBe(true);
    } finally {
      lambda.authorizer.close();
    }
  });
});
