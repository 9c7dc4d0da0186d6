/**
 * The original story through the serverless path: API Gateway (REST) with the gatehouse TOKEN
 * Lambda authorizer (`createLambdaAuthorizer`) in front of the five contacts Lambda handlers, with
 * real tokens from a real gatehouse server and the store taken from the environment (SQLite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLambdaAuthorizer, type LambdaAuthorizer, toBearerResponse } from '@gatehouse/authorizer';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent } from 'aws-lambda';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACTS_ROUTE_POLICY } from '../access/route-policy.ts';
import type { Contact } from '../contacts/contact.ts';
import { createApiGateway } from '../testing/api-gateway.ts';
import { type ContactsStory, provisionContactsStory } from '../testing/provision-story.ts';
import type { ContactsLambdaHandler } from './lambda-handler.ts';

let server: TestServer;
let story: ContactsStory;
let authorizer: LambdaAuthorizer;
let dataDir: string;
let gateway: ReturnType<typeof createApiGateway>;
let handlers: Record<'list' | 'get' | 'create' | 'update' | 'delete', ContactsLambdaHandler>;
const tokens = { read: '', write: '', expiring: '' };

beforeAll(async () => {
  server = await startTestServer();
  story = await provisionContactsStory(server.management, `https://contacts.lambda.test/${Date.now()}/`);
  // The handlers read CONTACTS_* at their first invocation, like a cold start.
  dataDir = mkdtempSync(join(tmpdir(), 'contacts-lambda-'));
  process.env.CONTACTS_STORE = 'sqlite';
  process.env.CONTACTS_DATA_DIR = dataDir;
  process.env.CONTACTS_LOG_LEVEL = 'silent';
  handlers = {
    list: (await import('./list.ts')).handler,
    get: (await import('./get.ts')).handler,
    create: (await import('./create.ts')).handler,
    update: (await import('./update.ts')).handler,
    delete: (await import('./delete.ts')).handler,
  };
  authorizer = createLambdaAuthorizer({
    issuer: server.issuer,
    audience: story.audience,
    policy: CONTACTS_ROUTE_POLICY,
    clockToleranceSeconds: 0,
  });
  gateway = createApiGateway(
    async (event) => (await authorizer(event)) as APIGatewayAuthorizerResult,
    [
      { method: 'GET', resource: '/contacts', handler: handlers.list },
      { method: 'POST', resource: '/contacts', handler: handlers.create },
      { method: 'GET', resource: '/contacts/{id}', handler: handlers.get },
      { method: 'PUT', resource: '/contacts/{id}', handler: handlers.update },
      { method: 'DELETE', resource: '/contacts/{id}', handler: handlers.delete },
    ],
  );
  const get = (c: { clientId: string; clientSecret: string }) =>
    server.getToken({ ...c, audience: story.audience });
  [tokens.read, tokens.write, tokens.expiring] = await Promise.all([
    get(story.read),
    get(story.write),
    get(story.expiring),
  ]);
});

afterAll(async () => {
  authorizer?.authorizer.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = (token: string) => `Bearer ${token}`;
const json = { 'Content-Type': 'application/json' };

/** Why the edge refuses a request, from the authorizer core (status and challenge). */
async function edgeDecision(method: string, path: string, token: string | undefined) {
  const result = await authorizer.authorizer.authorize({
    method,
    path,
    authorization: token && bearer(token),
  });
  if (result.ok) return { status: 200, challenge: undefined };
  const answer = toBearerResponse(result.error, authorizer.authorizer);
  return { status: answer.status, challenge: answer.headers['www-authenticate'] };
}

describe('the story through API Gateway, the Lambda authorizer and the Lambda handlers', () => {
  it('refuses a POST with the Read Service token: 403, insufficient_scope at the edge', async () => {
    const res = await gateway.send({
      method: 'POST',
      path: '/contacts',
      authorization: bearer(tokens.read),
      headers: json,
      body: JSON.stringify({ name: 'Nope' }),
    });
    expect(res.status).toBe(403);
    const decision = await edgeDecision('POST', '/contacts', tokens.read);
    expect(decision.status).toBe(403);
    expect(decision.challenge).toMatch(/error="insufficient_scope"/);
    expect(decision.challenge).toMatch(/scope="write:contacts"/);
  });

  it('creates three contacts with the Write Service token: 201 with a stage-relative Location', async () => {
    for (const name of ['Ada Lovelace', 'Grace Hopper', 'Margaret Hamilton']) {
      const res = await gateway.send({
        method: 'POST',
        path: '/contacts',
        authorization: bearer(tokens.write),
        headers: json,
        body: JSON.stringify({ name }),
      });
      expect(res.status).toBe(201);
      const contact = JSON.parse(res.body) as Contact;
      expect(contact.name).toBe(name);
      expect(res.headers.location).toBe(`/prod/contacts/${contact.id}`);
    }
  });

  it('lists and reads them with the Read Service token', async () => {
    const list = await gateway.send({ method: 'GET', path: '/contacts', authorization: bearer(tokens.read) });
    expect(list.status).toBe(200);
    const { items } = JSON.parse(list.body) as { items: Contact[] };
    expect(items.map((c) => c.name)).toEqual(['Ada Lovelace', 'Grace Hopper', 'Margaret Hamilton']);
    const one = await gateway.send({
      method: 'GET',
      path: `/contacts/${items[0]!.id}`,
      authorization: bearer(tokens.read),
    });
    expect(one.status).toBe(200);
    expect(JSON.parse(one.body)).toEqual(items[0]);
    expect(one.headers.etag).toBe('"1"');
  });

  it('replaces and deletes with the Write Service token, and pages with the cursor', async () => {
    const list = await gateway.send({
      method: 'GET',
      path: '/contacts',
      query: { limit: '2' },
      authorization: bearer(tokens.write),
    });
    const page = JSON.parse(list.body) as { items: Contact[]; cursor?: string };
    expect(page.items).toHaveLength(2);
    expect(page.cursor).toBeDefined();
    const next = await gateway.send({
      method: 'GET',
      path: '/contacts',
      query: { limit: '2', cursor: page.cursor! },
      authorization: bearer(tokens.write),
    });
    expect((JSON.parse(next.body) as { items: Contact[] }).items.map((c) => c.name)).toEqual([
      'Margaret Hamilton',
    ]);
    const target = page.items[1]!;
    const put = await gateway.send({
      method: 'PUT',
      path: `/contacts/${target.id}`,
      authorization: bearer(tokens.write),
      headers: { ...json, 'If-Match': '"1"' },
      body: JSON.stringify({ name: 'Grace Brewster Hopper', checked: true }),
    });
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe('"2"');
    const stale = await gateway.send({
      method: 'PUT',
      path: `/contacts/${target.id}`,
      authorization: bearer(tokens.write),
      headers: { ...json, 'If-Match': '"1"' },
      body: JSON.stringify({ name: 'lost update', checked: false }),
    });
    expect(stale.status).toBe(412);
    expect(stale.headers['content-type']).toBe('application/problem+json');
    const del = await gateway.send({
      method: 'DELETE',
      path: `/contacts/${target.id}`,
      authorization: bearer(tokens.write),
    });
    expect(del.status).toBe(204);
    const gone = await gateway.send({
      method: 'GET',
      path: `/contacts/${target.id}`,
      authorization: bearer(tokens.read),
    });
    expect(gone.status).toBe(404);
  });

  it('refuses DELETE with the Read Service token even from the cached authorizer answer', async () => {
    const before = (
      await gateway.send({ method: 'GET', path: '/contacts', authorization: bearer(tokens.read) })
    ).authorizerCalls;
    const res = await gateway.send({
      method: 'DELETE',
      path: '/contacts/0190a5a4-0000-7000-8000-000000000000',
      authorization: bearer(tokens.read),
    });
    expect(res.status).toBe(403);
    expect(res.authorizerCalls).toBe(before); // answered from API Gateway's cache of the token's policy
  });

  it('refuses a request without a token: 401, bare Bearer challenge at the edge', async () => {
    const res = await gateway.send({ method: 'GET', path: '/contacts' });
    expect(res.status).toBe(401);
    expect(await edgeDecision('GET', '/contacts', undefined)).toEqual({
      status: 401,
      challenge: 'Bearer realm="gatehouse"',
    });
  });

  it('refuses an expired token: 401, invalid_token', async () => {
    const { exp } = decodeJwt(tokens.expiring);
    const wait = exp! * 1000 + 200 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const res = await gateway.send({
      method: 'GET',
      path: '/contacts',
      authorization: bearer(tokens.expiring),
    });
    expect(res.status).toBe(401);
    const decision = await edgeDecision('GET', '/contacts', tokens.expiring);
    expect(decision.status).toBe(401);
    expect(decision.challenge).toMatch(/error="invalid_token"/);
  });

  it('has the handlers refuse on their own when the authorizer context lacks the scope', async () => {
    const event = (scope: string | undefined): APIGatewayProxyEvent => ({
      resource: '/contacts',
      path: '/contacts',
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      requestContext: {
        path: '/prod/contacts',
        authorizer:
          scope === undefined
            ? null
            : { principalId: story.read.clientId, client_id: story.read.clientId, scope },
      } as APIGatewayProxyEvent['requestContext'],
      body: JSON.stringify({ name: 'sneaky' }),
      isBase64Encoded: false,
    });
    for (const scope of ['read:contacts', undefined]) {
      const res = await handlers.create(event(scope));
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ status: 403, title: 'Insufficient scope' });
      expect(String(res.headers?.['www-authenticate'])).toMatch(/insufficient_scope/);
    }
  });
});
