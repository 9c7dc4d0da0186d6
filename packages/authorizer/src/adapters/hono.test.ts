import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authorizer, createAuthorizer } from '../authorizer/create-authorizer.ts';
import { contactsPolicy, echo, runAdapterContract } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { createHonoMiddleware, type HonoAuthEnv } from './hono.ts';

async function startHono(authorizer: Authorizer) {
  let handled = 0;
  const app = new Hono<HonoAuthEnv>();
  app.use(createHonoMiddleware(authorizer));
  app.all('*', (c) => {
    handled++;
    return c.body(echo(c.get('auth')), 200, { 'content-type': 'application/json' });
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handled: () => handled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runAdapterContract('Hono', startHono);

/** A GET with the raw header list given as is (repeated names stay separate header lines). */
function rawGet(url: string, rawHeaders: string[]): Promise<{ status: number; challenge: string }> {
  return new Promise((resolve, reject) => {
    // an array of headers is sent as given, with no Host added: HTTP/1.1 needs one
    request(url, { headers: ['Host', new URL(url).host, ...rawHeaders] }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, challenge: String(res.headers['www-authenticate'] ?? '') }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('Hono adapter on @hono/node-server, Authorization read from the raw headers', () => {
  let idp: TestIssuer;
  let authorizer: Authorizer;
  let app: Awaited<ReturnType<typeof startHono>>;
  let token: string;

  beforeAll(async () => {
    idp = await startTestIssuer();
    authorizer = createAuthorizer({ issuer: idp.issuer, audience: idp.audience, policy: contactsPolicy });
    app = await startHono(authorizer);
    token = await idp.mint({ scope: 'read:contacts' });
  });

  afterAll(async () => {
    await app.close();
    authorizer.close();
    await idp.close();
  });

  it('finds the header whatever the case of its name', async () => {
    expect((await rawGet(`${app.url}/contacts`, ['AUTHORIZATION', `Bearer ${token}`])).status).toBe(200);
  });

  it('refuses two Authorization headers with 400 invalid_request, even when both hold the valid token', async () => {
    const before = app.handled();
    const answer = await rawGet(`${app.url}/contacts`, [
      'Authorization',
      `Bearer ${token}`,
      'authorization',
      `Bearer ${token}`,
    ]);
    expect(answer.status).toBe(400);
    expect(answer.challenge).toContain('error="invalid_request"');
    expect(app.handled()).toBe(before);
  });
});
