/**
 * Failed federated client authentications feed the same lockout as every other failure
 * (limits/limited-authenticator.ts): counted per claimed identity (the token's `sub`, or
 * `client_id` when sent) and source address.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { startWorkloadIssuer, type WorkloadIssuer } from '../testing/workload-issuer.ts';

const AUDIENCE = 'https://gatehouse.test/';
let server: TestServer;
let issuer: WorkloadIssuer;
let app: ApiAndClient;

beforeAll(async () => {
  issuer = await startWorkloadIssuer();
  server = await startTestServer({
    env: { GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '3', GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '1000' },
  });
  app = await server.createApiAndClient();
  const res = await server.management('POST', `clients/${app.clientId}/credentials`, {
    credential_type: 'federated',
    issuer: issuer.issuer,
    subject: 'svc-batch',
    audience: AUDIENCE,
  });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await issuer?.stop();
});

const tokenRequest = (assertion: string) =>
  postForm(`${server.url}/oauth/token`, {
    grant_type: 'client_credentials',
    audience: app.audience,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });

describe('lockout of failed federated client authentication', () => {
  it('locks a subject out from an address after repeated failures, and leaves other subjects alone', async () => {
    const t = Math.floor(Date.now() / 1000);
    const wrongAudience = await issuer.mint({
      iss: issuer.issuer,
      sub: 'svc-attacked',
      aud: 'https://elsewhere/',
      iat: t,
      exp: t + 300,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await tokenRequest(wrongAudience)).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);

    const good = await issuer.mint({
      iss: issuer.issuer,
      sub: 'svc-batch',
      aud: AUDIENCE,
      iat: t,
      exp: t + 300,
    });
    const res = await tokenRequest(good);
    expect(res.status, res.text).toBe(200);
    expect(decodeJwt(res.json!.access_token as string).client_id).toBe(app.clientId);
  });
});
