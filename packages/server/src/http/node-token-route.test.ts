import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiAndClient, startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
let main: ApiAndClient;

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

beforeAll(async () => {
  server = await startTestServer();
  main = await server.createApiAndClient({ scopes: ['read:contacts', 'write:contacts'] });
});
afterAll(async () => {
  await server?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `parts` over one connection (a number waits that many ms) and reads `count` responses. */
function exchange(parts: (string | number)[], count: number): Promise<RawResponse[]> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(
          lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        const length = Number(headers['content-length']);
        if (received.length < end + 4 + length) return;
        responses.push({
          status: Number(statusLine!.split(' ')[1]),
          headers,
          body: received.subarray(end + 4, end + 4 + length).toString('utf8'),
        });
        received = received.subarray(end + 4 + length);
        if (responses.length === count) {
          socket.end();
          resolve(responses);
          return;
        }
      }
    });
    void (async () => {
      for (const part of parts) {
        if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
        else socket.write(part);
      }
    })();
  });
}

const head = (body: string, authorization = basic(main.clientId, main.clientSecret)) =>
  `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n` +
  `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

describe('the lean token route', () => {
  it('answers exactly as the app does, header for header', async () => {
    const cases: { body: string; headers: Record<string, string> }[] = [
      {
        body: `grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}`,
        headers: {
          authorization: basic(main.clientId, main.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
      {
        body: JSON.stringify({ grant_type: 'client_credentials', audience: main.audience }),
        headers: {
          authorization: basic(main.clientId, main.clientSecret),
          'content-type': 'application/json',
        },
      },
      {
        body: `grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}`,
        headers: {
          authorization: basic(main.clientId, 'wrong'),
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
      {
        body: 'audience=x',
        headers: { authorization: basic(main.clientId, main.clientSecret), 'content-type': 'text/plain' },
      },
      { body: '{"grant_type":', headers: { 'content-type': 'application/json' } },
      { body: 'grant_type=password', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      {
        body: `grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}&scope=admin`,
        headers: {
          authorization: basic(main.clientId, main.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
    ];
    for (const { body, headers } of cases) {
      // A query string is not the plain case: the app answers it, through Hono.
      const [lean, app] = await Promise.all(
        ['/oauth/token', '/oauth/token?via=app'].map((path) =>
          fetch(`${server.url}${path}`, { method: 'POST', headers, body }),
        ),
      );
      expect(lean!.status).toBe(app!.status);
      const names = (r: Response) =>
        [...r.headers.entries()].filter(([name]) => name !== 'date').sort(([a], [b]) => a.localeCompare(b));
      const [leanText, appText] = [await lean!.text(), await app!.text()];
      if (lean!.status === 200) {
        const [l, a] = [JSON.parse(leanText), JSON.parse(appText)];
        expect({ ...l, access_token: 'x' }).toEqual({ ...a, access_token: 'x' });
        const payload = (token: string) =>
          Object.keys(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()));
        expect(payload(l.access_token)).toEqual(payload(a.access_token));
        expect(names(lean!).filter(([n]) => n !== 'content-length')).toEqual(
          names(app!).filter(([n]) => n !== 'content-length'),
        );
      } else {
        expect(leanText).toBe(appText);
        expect(names(lean!)).toEqual(names(app!));
      }
    }
  });

  it('reads a body that arrives after its head', async () => {
    const body = `grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}`;
    const [res] = await exchange([head(body), 50, body.slice(0, 10), 30, body.slice(10)], 1);
    expect(res!.status).toBe(200);
    expect(JSON.parse(res!.body)).toMatchObject({
      token_type: 'Bearer',
      scope: 'read:contacts write:contacts',
    });
  });

  it('answers pipelined requests in order', async () => {
    const ok = `grant_type=client_credentials&audience=${encodeURIComponent(main.audience)}`;
    const wrong = head(ok, basic(main.clientId, 'not-the-secret'));
    const [first, second, third] = await exchange([head(ok) + ok + wrong + ok + head(ok) + ok], 3);
    expect([first!.status, second!.status, third!.status]).toEqual([200, 401, 200]);
    expect(second!.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('keeps serving after a client leaves in the middle of its body', async () => {
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`${head('x'.repeat(100))}grant_type`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const token = await server.getToken({
      clientId: main.clientId,
      clientSecret: main.clientSecret,
      audience: main.audience,
    });
    expect(token.split('.')).toHaveLength(3);
  });

  it('counts its answers in the latency histogram and writes the request log line', async () => {
    await server.getToken({
      clientId: main.clientId,
      clientSecret: main.clientSecret,
      audience: main.audience,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /gatehouse_http_request_duration_seconds_count\{route="\/oauth\/token",method="POST",status="200"\} \d+/,
    );
    const line = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'request' && l.route === '/oauth/token' && l.client_id === main.clientId);
    expect(line).toMatchObject({ method: 'POST', status: 200 });
  });
});
