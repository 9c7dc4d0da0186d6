/**
 * The audit entry of each federated sign-in: a real gatehouse server, a real local workload issuer
 * (discovery + JWKS over HTTP), platform tokens minted with jose, and the entries read back through
 * `GET /api/v2/logs` as any administrator would (Auth0's `seccft` / `feccft` type codes).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { startWorkloadIssuer, type WorkloadIssuer } from '../testing/workload-issuer.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const AUDIENCE = 'https://gatehouse.test/';
const SUBJECT = 'svc-audit-reports';
const USER_AGENT = 'workload-audit-test/1.0';

let server: TestServer;
let app: ApiAndClient;
let issuer: WorkloadIssuer;
let credentialId: string;

interface LogEvent {
  log_id: string;
  type: string;
  description: string;
  client_id: string | null;
  client_name: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

const now = () => Math.floor(Date.now() / 1000);

/** An OIDC workload token of the registered subject, living five minutes. */
const mint = (over: Record<string, unknown> = {}) =>
  issuer.mint({ iss: issuer.issuer, sub: SUBJECT, aud: AUDIENCE, iat: now(), exp: now() + 300, ...over });

async function tokenRequest(form: Record<string, string>) {
  const res = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: app.audience, ...form }),
  });
  return { status: res.status, text: await res.text() };
}

async function logs(query: string): Promise<LogEvent[]> {
  const res = await server.management('GET', `logs?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as LogEvent[];
}

beforeAll(async () => {
  issuer = await startWorkloadIssuer({ alg: 'ES256' });
  server = await startTestServer();
  app = await server.createApiAndClient({ clientName: 'Audited Workload', scopes: ['read:things'] });
  const res = await server.management('POST', `clients/${app.clientId}/credentials`, {
    credential_type: 'federated',
    issuer: issuer.issuer,
    subject: SUBJECT,
    audience: AUDIENCE,
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  credentialId = body.id;
});

afterAll(async () => {
  await server?.close();
  await issuer?.stop();
});

describe('audit entries of federated sign-ins', () => {
  it('records a federated token request as one seccft entry with issuer, subject and client, never the token', async () => {
    const assertion = await mint({ jti: randomUUID() });
    const before = await logs(`type=seccft&client_id=${app.clientId}`);
    const res = await tokenRequest({ client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
    expect(res.status, res.text).toBe(200);
    const accessToken = (JSON.parse(res.text) as { access_token: string }).access_token;

    const after = await logs(`type=seccft&client_id=${app.clientId}`);
    expect(after).toHaveLength(before.length + 1);
    const entry = after[0]!;
    expect(entry).toMatchObject({
      type: 'seccft',
      client_id: app.clientId,
      client_name: 'Audited Workload',
      ip: '127.0.0.1',
      user_agent: USER_AGENT,
      details: {
        action: 'client.federated_sign_in',
        outcome: 'success',
        target: { type: 'client', id: app.clientId },
        issuer: issuer.issuer,
        subject: SUBJECT,
        kind: 'oidc',
        credential_id: credentialId,
        audience: app.audience,
        request: { method: 'POST', path: '/oauth/token' },
      },
    });
    const text = JSON.stringify(entry);
    for (const secret of [assertion, accessToken, ...assertion.split('.'), ...accessToken.split('.')]) {
      expect(text).not.toContain(secret);
    }
    // The same entry by the other filters: the action, and the q syntax.
    const byAction = await logs(`action=client.federated_sign_in&type=seccft`);
    expect(byAction.map((e) => e.log_id)).toContain(entry.log_id);
    const byQuery = await logs(`q=${encodeURIComponent(`type:seccft AND client_id:${app.clientId}`)}`);
    expect(byQuery[0]!.log_id).toBe(entry.log_id);
  });

  it('records a refused federated token as one feccft entry with the reason, which the answer does not hold', async () => {
    const before = await logs('type=feccft');
    const assertion = await mint({ sub: 'svc-intruder' });
    const res = await tokenRequest({ client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'invalid_client' });
    expect(res.text).not.toContain('svc-intruder');

    const after = await logs('type=feccft');
    expect(after).toHaveLength(before.length + 1);
    const entry = after[0]!;
    expect(entry).toMatchObject({
      type: 'feccft',
      client_id: null,
      ip: '127.0.0.1',
      user_agent: USER_AGENT,
      details: {
        action: 'client.federated_sign_in',
        outcome: 'failure',
        issuer: issuer.issuer,
        subject: 'svc-intruder',
        error: { message: expect.stringContaining('no credential for') },
      },
    });
    const text = JSON.stringify(entry);
    for (const part of assertion.split('.')) expect(text).not.toContain(part);
    // The server log says why, too (issue 12: the reason in the log, never in the answer).
    expect(server.logs.some((l) => l.includes('federated client authentication failed'))).toBe(true);
  });

  it('names the client of a matched credential when its token is refused later (expired)', async () => {
    const t = now() - 600;
    const assertion = await mint({ iat: t, exp: t + 300 });
    const res = await tokenRequest({
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      client_id: app.clientId,
    });
    expect(res.status).toBe(401);
    const [entry] = await logs(`type=feccft&client_id=${app.clientId}`);
    expect(entry).toMatchObject({
      client_id: app.clientId,
      client_name: 'Audited Workload',
      details: {
        outcome: 'failure',
        issuer: issuer.issuer,
        subject: SUBJECT,
        kind: 'oidc',
        credential_id: credentialId,
        error: { message: expect.stringContaining('exp') },
      },
    });
    expect(JSON.stringify(entry)).not.toContain(assertion.split('.')[2]!);
  });

  it('records nothing for a token request authenticated with a client secret', async () => {
    const count = async () => {
      const res = await server.management('GET', 'logs?include_totals=true&per_page=1');
      return ((await res.json()) as { total: number }).total;
    };
    await server.managementToken();
    const before = await count();
    await server.getToken({ clientId: app.clientId, clientSecret: app.clientSecret, audience: app.audience });
    expect(await count()).toBe(before);
  });
});
