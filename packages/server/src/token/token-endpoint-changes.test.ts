/**
 * The token endpoint caches its reads (token-read-cache.ts) and remembers verified secrets
 * (client-authentication.ts): changes must still take effect with the very next request, on the
 * instance that made them and on another instance sharing the same SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../testing/oauth-requests.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

let first: TestServer;
let second: TestServer;

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** Asks `server` for a token (warming its cache), as the client. */
function token(server: TestServer, c: ApiAndClient, secret = c.clientSecret) {
  return postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'client_credentials', audience: c.audience },
    { clientId: c.clientId, clientSecret: secret },
  );
}

/** Both instances answer `status` (and, when 200, `scope`) for the client. */
async function bothAnswer(c: ApiAndClient, status: number, scope?: string, secret?: string) {
  for (const server of [first, second]) {
    const answer = await token(server, c, secret);
    expect(answer.status, `${server.url}: ${answer.text}`).toBe(status);
    if (scope !== undefined) {
      expect(answer.json?.scope).toBe(scope);
      expect(decode(answer.json?.access_token as string).scope).toBe(scope);
    }
  }
}

beforeAll(async () => {
  first = await startTestServer();
  second = await startTestServer({
    dataDir: first.dataDir,
    env: {
      GATEHOUSE_ADMIN_CLIENT_ID: first.admin.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: first.admin.clientSecret,
    },
  });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

describe('changes reach the token endpoint of every instance with the next request', () => {
  it('a reduced grant narrows the next token, a deleted grant refuses it', async () => {
    const c = await first.createApiAndClient({ scopes: ['read:x', 'write:x'] });
    await bothAnswer(c, 200, 'read:x write:x');
    await bothAnswer(c, 200, 'read:x write:x');
    const patched = await first.management('PATCH', `client-grants/${c.grantId}`, { scope: ['read:x'] });
    expect(patched.status).toBe(200);
    await bothAnswer(c, 200, 'read:x');
    expect((await second.management('DELETE', `client-grants/${c.grantId}`)).status).toBe(204);
    await bothAnswer(c, 403);
  });

  it('a disabled client is refused at once, and accepted again once enabled', async () => {
    const c = await first.createApiAndClient();
    await bothAnswer(c, 200);
    await bothAnswer(c, 200);
    expect((await second.management('PATCH', `clients/${c.clientId}`, { disabled: true })).status).toBe(200);
    await bothAnswer(c, 401);
    expect((await first.management('PATCH', `clients/${c.clientId}`, { disabled: false })).status).toBe(200);
    await bothAnswer(c, 200);
  });

  it('a rotated secret is refused at once, and the new one accepted at once', async () => {
    const c = await first.createApiAndClient();
    await bothAnswer(c, 200);
    await bothAnswer(c, 200);
    const rotated = await first.management('POST', `clients/${c.clientId}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const fresh = ((await rotated.json()) as { client_secret: string }).client_secret;
    await bothAnswer(c, 401);
    await bothAnswer(c, 200, undefined, fresh);
    await bothAnswer(c, 200, undefined, fresh);
    // A wrong secret after a remembered right one is still refused.
    await bothAnswer(c, 401, undefined, `${fresh}x`);
  });

  it('a secret kept for a grace period stops working when it ends, with no write in between', async () => {
    const c = await first.createApiAndClient();
    const rotated = await first.management('POST', `clients/${c.clientId}/rotate-secret`, {
      grace_period_seconds: 1,
    });
    expect(rotated.status).toBe(200);
    const until = Date.parse(
      ((await rotated.json()) as { previous_secret_expires_at: string }).previous_secret_expires_at,
    );
    await bothAnswer(c, 200);
    await bothAnswer(c, 200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 50));
    await bothAnswer(c, 401);
  });
});
