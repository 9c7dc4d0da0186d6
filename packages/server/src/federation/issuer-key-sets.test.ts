import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerKeySets, IssuerKeysUnavailable } from './issuer-key-sets.ts';

let hits = 0;
let answer: { status: number; body: unknown } = { status: 500, body: {} };
const server = createServer((_req, res) => {
  hits++;
  res.statusCode = answer.status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(answer.body));
});
let issuer = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('issuer key sets', () => {
  it('fails closed on a failing discovery, and does not ask again before the cooldown', async () => {
    hits = 0;
    answer = { status: 500, body: {} };
    const keys = createIssuerKeySets({ cooldownMs: 60_000 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => keys.keysFor(issuer, undefined)),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(IssuerKeysUnavailable);
    }
    await expect(keys.keysFor(issuer, undefined)).rejects.toThrow('discovery answered HTTP 500');
    expect(hits).toBe(1);
  });

  it('refuses a discovery document naming another issuer', async () => {
    answer = { status: 200, body: { issuer: 'https://elsewhere.example', jwks_uri: `${issuer}/jwks` } };
    await expect(createIssuerKeySets().keysFor(issuer, undefined)).rejects.toThrow('names another issuer');
  });

  it('refuses a discovery document without a jwks_uri', async () => {
    answer = { status: 200, body: { issuer } };
    await expect(createIssuerKeySets().keysFor(issuer, undefined)).rejects.toThrow('no valid jwks_uri');
  });

  it('uses a registered jwks_uri without asking for discovery', async () => {
    hits = 0;
    await createIssuerKeySets().keysFor(issuer, `${issuer}/jwks`);
    expect(hits).toBe(0);
  });
});
