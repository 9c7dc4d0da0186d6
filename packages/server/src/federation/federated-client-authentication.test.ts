/**
 * Workload identity federation end to end: real local issuers (discovery + JWKS over HTTP), tokens
 * minted with jose in the exact shape each platform documents, presented to a real gatehouse
 * server's token endpoint as the RFC 7523 client assertion.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { startWorkloadIssuer, type WorkloadIssuer } from '../testing/workload-issuer.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const AUDIENCE = 'https://gatehouse.test/';

let server: TestServer;
let app: ApiAndClient;
let k8s: WorkloadIssuer;
let spire: WorkloadIssuer;
let aws: WorkloadIssuer;
let github: WorkloadIssuer;
let oidc: WorkloadIssuer;

const now = () => Math.floor(Date.now() / 1000);

/**
 * A Kubernetes projected service-account token (TokenRequest API, bound to a pod).
 * @see https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
 * @see https://kubernetes.io/docs/concepts/security/service-accounts/#authenticating-in-code
 */
function kubernetesClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    aud: [AUDIENCE],
    exp: t + 3600,
    iat: t,
    nbf: t,
    iss: k8s.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: 'payments',
      node: { name: 'node-1', uid: randomUUID() },
      pod: { name: 'reader-7c9f8-x2x', uid: randomUUID() },
      serviceaccount: { name: 'reader', uid: randomUUID() },
      warnafter: t + 3000,
    },
    sub: 'system:serviceaccount:payments:reader',
    ...over,
  };
}

/** A SPIFFE JWT-SVID as SPIRE issues it (`iss` set by SPIRE's `jwt_issuer`). @see https://github.com/spiffe/spiffe/blob/main/standards/JWT-SVID.md */
function spiffeClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    sub: 'spiffe://prod.acme.test/ns/payments/sa/writer',
    aud: [AUDIENCE],
    exp: t + 300,
    iat: t,
    iss: spire.issuer,
    ...over,
  };
}

/** An AWS STS GetWebIdentityToken token. @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_token_claims.html */
function awsClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    iss: aws.issuer,
    aud: AUDIENCE,
    sub: 'arn:aws:iam::123456789012:role/DataProcessingRole',
    iat: t,
    exp: t + 300,
    jti: randomUUID(),
    'https://sts.amazonaws.com/': {
      aws_account: '123456789012',
      source_region: 'us-east-1',
      org_id: 'o-abc1234567',
      principal_tags: { environment: 'production' },
      lambda_source_function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:process-data',
    },
    ...over,
  };
}

/** A GitHub Actions OIDC token for a job in environment `prod`. @see https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims */
function githubClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    jti: randomUUID(),
    sub: 'repo:octo-org/octo-repo:environment:prod',
    environment: 'prod',
    aud: AUDIENCE,
    ref: 'refs/heads/main',
    sha: 'example-sha',
    repository: 'octo-org/octo-repo',
    repository_owner: 'octo-org',
    actor_id: '12',
    repository_visibility: 'private',
    repository_id: '74',
    repository_owner_id: '65',
    run_id: 'example-run-id',
    run_number: '10',
    run_attempt: '2',
    runner_environment: 'github-hosted',
    actor: 'octocat',
    workflow: 'example-workflow',
    head_ref: '',
    base_ref: '',
    event_name: 'workflow_dispatch',
    ref_type: 'branch',
    job_workflow_ref: 'octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main',
    iss: github.issuer,
    nbf: t - 600,
    exp: t + 300,
    iat: t,
    ...over,
  };
}

async function tokenWith(assertion: string, extra: Record<string, string> = {}) {
  return postForm(`${server.url}/oauth/token`, {
    grant_type: 'client_credentials',
    audience: app.audience,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
    ...extra,
  });
}

async function addFederated(clientId: string, body: Record<string, unknown>) {
  const res = await server.management('POST', `clients/${clientId}/credentials`, {
    credential_type: 'federated',
    audience: AUDIENCE,
    ...body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  [k8s, spire, aws, github, oidc] = await Promise.all([
    startWorkloadIssuer(),
    startWorkloadIssuer({ alg: 'ES256' }),
    startWorkloadIssuer(),
    startWorkloadIssuer(),
    startWorkloadIssuer({ alg: 'ES256' }),
  ]);
  // Many refusals from one address are the point of these tests: keep the lockout out of the way.
  server = await startTestServer({
    env: {
      GATEHOUSE_LOCKOUT_ADDRESS_FAILURES: '100000',
      GATEHOUSE_LOCKOUT_CLIENT_ADDRESS_FAILURES: '100000',
      GATEHOUSE_LOCKOUT_CLIENT_FAILURES: '100000',
    },
  });
  app = await server.createApiAndClient({ scopes: ['read:things'] });
  const registrations = [
    { issuer: k8s.issuer, subject: 'system:serviceaccount:payments:*' },
    {
      issuer: `${spire.issuer}/.well-known/openid-configuration`,
      subject: 'spiffe://prod.acme.test/ns/payments/*',
    },
    { issuer: aws.issuer, subject: 'arn:aws:iam::123456789012:role/DataProcessingRole' },
    { issuer: github.issuer, subject: 'repo:octo-org/octo-repo:environment:prod' },
    { issuer: oidc.issuer, subject: 'svc-reports', jwks_uri: `${oidc.issuer}/openid/v1/jwks` },
  ];
  for (const r of registrations) {
    const { status, body } = await addFederated(app.clientId, r);
    expect(status, JSON.stringify(body)).toBe(201);
  }
});

afterAll(async () => {
  await server?.close();
  await Promise.all([k8s, spire, aws, github, oidc].map((i) => i?.stop()));
});

describe('federated credentials in the Management API', () => {
  it('stores a federated credential and answers it with its issuer kind', async () => {
    const res = await server.management('GET', `clients/${app.clientId}/credentials`);
    const list = (await res.json()) as Record<string, unknown>[];
    const federated = list.filter((c) => c.credential_type === 'federated');
    expect(federated.map((c) => c.issuer_kind).sort()).toEqual(
      ['aws', 'github-actions', 'kubernetes', 'oidc', 'spiffe'].sort(),
    );
    const spiffe = federated.find((c) => c.issuer_kind === 'spiffe')!;
    expect(spiffe).toMatchObject({
      issuer: spire.issuer,
      subject: 'spiffe://prod.acme.test/ns/payments/*',
      audience: AUDIENCE,
    });
    const one = await server.management('GET', `clients/${app.clientId}/credentials/${spiffe.id as string}`);
    expect(await one.json()).toEqual(spiffe);
  });

  it.each([
    [
      { issuer: 'http://issuer.example', subject: 'x' },
      'issuer: must be an https URL (http only on localhost)',
    ],
    [
      { issuer: 'https://issuer.example?a=b', subject: 'x' },
      'issuer: must not hold a query, fragment or credentials',
    ],
    [{ issuer: 'https://issuer.example', subject: '*' }, 'subject: a `*` must follow a fixed prefix'],
    [
      { issuer: 'https://issuer.example', subject: 'repo:*:ref:x' },
      'subject: may hold one `*`, and only as its last character',
    ],
    [
      { issuer: 'https://issuer.example', subject: 'system:serviceaccount:pay*' },
      'subject: a `*` must follow',
    ],
    [{ issuer: 'https://issuer.example' }, 'subject: is required'],
    [{ issuer: 'https://issuer.example', subject: 'x', audience: undefined }, 'audience: is required'],
    [
      { issuer: 'https://issuer.example', subject: 'x', audience: 'a b' },
      'audience: must not contain whitespace',
    ],
    [{ issuer: 'https://issuer.example', subject: 'x', pem: 'x' }, "unknown field 'pem'"],
    [
      { credential_type: 'secret', issuer: 'https://issuer.example', subject: 'x' },
      'credential_type: must be public_key or federated',
    ],
  ])('refuses a malformed federated credential %j', async (body, message) => {
    const { status, body: answer } = await addFederated(app.clientId, body);
    expect(status).toBe(400);
    expect(answer.message).toContain(message);
  });
});

describe('federated client authentication at the token endpoint', () => {
  const accepted = async (assertion: string, extra: Record<string, string> = {}) => {
    const res = await tokenWith(assertion, extra);
    expect(res.status, res.text).toBe(200);
    expect(decodeJwt(res.json!.access_token as string)).toMatchObject({
      client_id: app.clientId,
      aud: app.audience,
    });
  };
  const refused = async (assertion: string, description: string, extra: Record<string, string> = {}) => {
    const res = await tokenWith(assertion, extra);
    expect(res.status, res.text).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_client' });
    expect(res.json!.error_description).toContain(description);
  };

  it('accepts a Kubernetes projected service-account token bound to a pod', async () => {
    await accepted(await k8s.mint(kubernetesClaims()));
  });

  it('accepts a SPIFFE JWT-SVID of the trusted trust domain path', async () => {
    await accepted(await spire.mint(spiffeClaims(), { typ: 'JWT' }));
  });

  it('accepts an AWS outbound identity federation token of the registered role', async () => {
    await accepted(await aws.mint(awsClaims()));
  });

  it('accepts a GitHub Actions OIDC token of the registered repository and environment', async () => {
    await accepted(await github.mint(githubClaims()));
  });

  it('accepts a token of any OIDC issuer with a registered jwks_uri, with client_id sent', async () => {
    const t = now();
    const token = await oidc.mint({
      iss: oidc.issuer,
      sub: 'svc-reports',
      aud: AUDIENCE,
      iat: t,
      exp: t + 600,
    });
    await accepted(token, { client_id: app.clientId });
  });

  it('accepts the same platform token again until it expires (it is not one-time)', async () => {
    const token = await k8s.mint(kubernetesClaims());
    await accepted(token);
    await accepted(token);
  });

  it('accepts a Kubernetes token living 24 hours (below the 48 hour maximum)', async () => {
    await accepted(await k8s.mint(kubernetesClaims({ exp: now() + 24 * 3600 })));
  });

  it('refuses a subject outside the registered pattern', async () => {
    const claims = kubernetesClaims({ sub: 'system:serviceaccount:billing:reader' });
    (claims['kubernetes.io'] as Record<string, unknown>).namespace = 'billing';
    await refused(await k8s.mint(claims), 'no federated credential matches');
  });

  it('refuses a token for another audience', async () => {
    await refused(
      await aws.mint(awsClaims({ aud: 'https://other.example/' })),
      'no federated credential matches',
    );
  });

  it('refuses a token of an issuer nobody trusts, and never fetches its keys', async () => {
    const stranger = await startWorkloadIssuer();
    try {
      await refused(
        await stranger.mint(kubernetesClaims({ iss: stranger.issuer })),
        'no federated credential matches',
      );
      expect(stranger.hits.size).toBe(0);
    } finally {
      await stranger.stop();
    }
  });

  it('refuses a token claiming a trusted issuer but signed with another key', async () => {
    const forged = await generateKeyPair('RS256');
    await refused(await k8s.mint(kubernetesClaims(), { key: forged.privateKey }), 'signature is invalid');
  });

  it('refuses an expired token', async () => {
    const t = now();
    await refused(
      await k8s.mint(kubernetesClaims({ iat: t - 7200, nbf: t - 7200, exp: t - 3600 })),
      'has expired',
    );
  });

  it('refuses a token not yet valid', async () => {
    await refused(await spire.mint(spiffeClaims({ nbf: now() + 600 })), 'nbf claim is invalid');
  });

  it('refuses a Kubernetes token living longer than 48 hours', async () => {
    await refused(await k8s.mint(kubernetesClaims({ exp: now() + 49 * 3600 })), 'longer than 172800 seconds');
  });

  it('refuses an AWS token living longer than the 3600 seconds GetWebIdentityToken allows', async () => {
    await refused(await aws.mint(awsClaims({ exp: now() + 7200 })), 'longer than 3600 seconds');
  });

  it('refuses a token with iat in the future', async () => {
    await refused(await github.mint(githubClaims({ iat: now() + 600 })), 'iat is in the future');
  });

  it('refuses an unsigned token (alg none)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    await refused(`${b64({ alg: 'none' })}.${b64(kubernetesClaims())}.`, 'alg must be one of');
  });

  it('refuses a Kubernetes token whose sub disagrees with its kubernetes.io claim', async () => {
    const claims = kubernetesClaims();
    (claims['kubernetes.io'] as { serviceaccount: { name: string } }).serviceaccount.name = 'admin';
    await refused(await k8s.mint(claims), 'kubernetes token is malformed');
  });

  it('refuses a Kubernetes token without the kubernetes.io claim', async () => {
    await refused(
      await k8s.mint(kubernetesClaims({ 'kubernetes.io': undefined })),
      'kubernetes.io claim is missing',
    );
  });

  it('refuses an AWS token whose account claim disagrees with its role ARN', async () => {
    const claims = awsClaims({ 'https://sts.amazonaws.com/': { aws_account: '999999999999' } });
    await refused(await aws.mint(claims), 'aws_account does not match');
  });

  it('refuses a GitHub token whose environment claim disagrees with its sub', async () => {
    await refused(await github.mint(githubClaims({ environment: 'dev' })), 'environment other than');
  });

  it('refuses a SPIFFE subject with a dot segment', async () => {
    const claims = spiffeClaims({ sub: 'spiffe://prod.acme.test/ns/payments/../admin' });
    await refused(await spire.mint(claims), 'not a SPIFFE ID');
  });

  it('refuses when client_id names a client without a matching credential', async () => {
    const other = await server.createApiAndClient();
    await refused(await k8s.mint(kubernetesClaims()), 'no federated credential matches', {
      client_id: other.clientId,
    });
  });

  it('fetches the key set a bounded number of times under a flood of unknown kids', async () => {
    const before = k8s.hits.get('/openid/v1/jwks') ?? 0;
    const tokens = await Promise.all(
      Array.from({ length: 25 }, () => k8s.mint(kubernetesClaims(), { kid: randomUUID() })),
    );
    for (const token of tokens) await refused(token, 'key its issuer does not publish');
    expect((k8s.hits.get('/openid/v1/jwks') ?? 0) - before).toBeLessThanOrEqual(1);
  });

  it('fails closed when the issuer is unreachable', async () => {
    const down = await startWorkloadIssuer();
    const client = await server.createApiAndClient();
    const { status } = await addFederated(client.clientId, { issuer: down.issuer, subject: 'svc-down' });
    expect(status).toBe(201);
    const t = now();
    const token = await down.mint({ iss: down.issuer, sub: 'svc-down', aud: AUDIENCE, iat: t, exp: t + 300 });
    await down.stop();
    const res = await postForm(`${server.url}/oauth/token`, {
      grant_type: 'client_credentials',
      audience: client.audience,
      client_id: client.clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: token,
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: 'invalid_client',
      error_description: 'the federated token issuer keys are unavailable',
    });
  });

  it('asks for client_id when two clients trust the same token, and accepts it then', async () => {
    const twin = await server.createApiAndClient({ identifier: `https://twin.test/${randomUUID()}/` });
    const { status } = await addFederated(twin.clientId, {
      issuer: github.issuer,
      subject: 'repo:octo-org/octo-repo:*',
    });
    expect(status).toBe(201);
    const token = await github.mint(githubClaims());
    // Without client_id a new credential is found once the client index lists again (within ~250 ms).
    await vi.waitFor(() => refused(token, 'several clients trust this federated token; send client_id'), {
      timeout: 5000,
      interval: 100,
    });
    await accepted(token, { client_id: app.clientId });
  });

  it('refuses a disabled client', async () => {
    const lone = await server.createApiAndClient();
    await addFederated(lone.clientId, { issuer: oidc.issuer, subject: 'svc-lone' });
    expect((await server.management('PATCH', `clients/${lone.clientId}`, { disabled: true })).status).toBe(
      200,
    );
    const t = now();
    const token = await oidc.mint({ iss: oidc.issuer, sub: 'svc-lone', aud: AUDIENCE, iat: t, exp: t + 300 });
    await vi.waitFor(
      async () => {
        const res = await postForm(`${server.url}/oauth/token`, {
          grant_type: 'client_credentials',
          audience: lone.audience,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: token,
        });
        expect(res.status).toBe(401);
        expect(res.json).toMatchObject({
          error: 'invalid_client',
          error_description: 'client authentication failed',
        });
      },
      { timeout: 5000, interval: 100 },
    );
  });

  it('logs each federated sign-in and the reason of each refusal, never the token', async () => {
    const token = await k8s.mint(kubernetesClaims());
    await accepted(token);
    const signIn = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'federated client authentication');
    expect(signIn.at(-1)).toMatchObject({
      clientId: app.clientId,
      issuer: k8s.issuer,
      subject: 'system:serviceaccount:payments:reader',
      kind: 'kubernetes',
    });
    const failures = server.logs.filter((l) => l.includes('federated client authentication failed'));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.some((l) => l.includes('no credential for iss='))).toBe(true);
    expect(server.logs.some((l) => l.includes(token))).toBe(false);
  });
});
