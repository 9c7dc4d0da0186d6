import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

interface Stats {
  from: string;
  to: string;
  interval: string;
  buckets: string[];
  issued: {
    client_id: string;
    client_name: string | null;
    audience: string;
    total: number;
    series: number[];
  }[];
  failures: { error: string; total: number; series: number[] }[];
  not_caching: {
    client_id: string;
    issued: number;
    token_lifetime: number;
    expected: number;
    ratio: number;
  }[];
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function stats(query = ''): Promise<Stats> {
  const res = await server.management('GET', `stats/tokens${query}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`answered ${res.status}: ${text}`);
  return JSON.parse(text) as Stats;
}

async function tokenRequest(form: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
}

describe('GET /api/v2/stats/tokens', () => {
  it('counts tokens per client and API, failures by error code, and names the client that does not cache', async () => {
    const chatty = await server.createApiAndClient({ clientName: 'chatty', tokenLifetime: 3600 });
    const calm = await server.createApiAndClient({ clientName: 'calm', tokenLifetime: 3600 });
    for (let i = 0; i < 12; i++) await server.getToken(chatty);
    await server.getToken(calm);
    const wrongSecret = await tokenRequest({
      client_id: calm.clientId,
      client_secret: 'not-the-secret-at-all',
      audience: calm.audience,
    });
    expect(wrongSecret.status).toBe(401);
    const unknownApi = await tokenRequest({
      client_id: calm.clientId,
      client_secret: calm.clientSecret,
      audience: 'https://nowhere.test/',
    });
    expect(unknownApi.status).toBe(400);

    const body = await stats();
    expect(body.interval).toBe('hour');
    expect(body.buckets).toHaveLength(24);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(24 * 3_600_000);
    const chattyRow = body.issued.find((r) => r.client_id === chatty.clientId);
    expect(chattyRow).toMatchObject({ client_name: 'chatty', audience: chatty.audience, total: 12 });
    expect(chattyRow!.series.reduce((a, b) => a + b, 0)).toBe(12);
    expect(body.issued.find((r) => r.client_id === calm.clientId)).toMatchObject({ total: 1 });
    expect(body.failures).toEqual(
      expect.arrayContaining([
        { error: 'invalid_client', total: 1, series: expect.any(Array) },
        { error: 'invalid_target', total: 1, series: expect.any(Array) },
      ]),
    );
    // One caching instance needs one token per active hour at a lifetime of an hour (two hours if
    // this test ran across the turn of an hour).
    const activeHours = chattyRow!.series.filter((n) => n > 0).length;
    const flagged = await stats('?min_ratio=5');
    expect(flagged.not_caching).toEqual([
      {
        client_id: chatty.clientId,
        client_name: 'chatty',
        audience: chatty.audience,
        issued: 12,
        token_lifetime: 3600,
        expected: activeHours,
        ratio: 12 / activeHours,
      },
    ]);
    expect((await stats('?min_ratio=20')).not_caching).toEqual([]);
    const one = await stats(`?client_id=${calm.clientId}&interval=day`);
    expect(one.buckets).toHaveLength(30);
    expect(one.issued.map((r) => r.client_id)).toEqual([calm.clientId]);
  });

  it('sums the counts of several instances sharing a store', async () => {
    const other = await startTestServer({
      dataDir: server.dataDir,
      env: {
        GATEHOUSE_ADMIN_CLIENT_ID: server.admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: server.admin.clientSecret,
      },
    });
    try {
      const shared = await server.createApiAndClient({ clientName: 'shared' });
      await server.getToken(shared);
      await other.getToken(shared);
      await other.getToken(shared);
      // Each instance flushes its own counters when it answers the stats.
      const fromOther = await other.management('GET', 'stats/tokens');
      expect(fromOther.status).toBe(200);
      const body = await stats();
      expect(body.issued.find((r) => r.client_id === shared.clientId)?.total).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('answers bad ranges and parameters with Auth0-shaped 400s', async () => {
    const cases: [string, RegExp][] = [
      ['?interval=week', /interval must be hour or day/],
      ['?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', /to must be after from/],
      ['?from=2020-01-01&to=2026-01-01', /at most 744 hours/],
      ['?from=2020-01-01&to=2026-01-01&interval=day', /at most 366 days/],
      ['?from=last-week', /from must be an ISO 8601 date/],
      ['?min_ratio=-1', /min_ratio must be a positive number/],
      ['?min_ratio=0', /min_ratio must be a positive number/],
      ['?foo=bar', /unknown field 'foo'/],
    ];
    for (const [query, message] of cases) {
      const res = await server.management('GET', `stats/tokens${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { errorCode: string; message: string };
      expect(body).toMatchObject({ statusCode: 400, errorCode: 'invalid_query_string' });
      expect(body.message, query).toMatch(message);
    }
    const anonymous = await fetch(`${server.url}/api/v2/stats/tokens`);
    expect(anonymous.status).toBe(401);
  });
});
