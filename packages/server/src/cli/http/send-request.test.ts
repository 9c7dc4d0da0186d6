import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CliConnectionError } from '../errors.ts';
import { sendRequest } from './send-request.ts';

async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sendRequest', () => {
  it('says "connection refused" with the URL when nothing listens', async () => {
    const port = await findClosedPort();
    const url = new URL(`http://127.0.0.1:${port}/oauth/token?x=1`);
    const error = await sendRequest(url, { method: 'POST' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliConnectionError);
    expect((error as Error).message).toBe(
      `cannot reach http://127.0.0.1:${port}/oauth/token: connection refused`,
    );
  });

  it('parses JSON bodies (including +json types) and leaves others as text', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/problem') {
        res.writeHead(400, { 'content-type': 'application/problem+json' }).end('{"title":"bad"}');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('{"not":"parsed"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const problem = await sendRequest(new URL(`http://127.0.0.1:${port}/problem`), {});
      expect(problem).toMatchObject({ status: 400, json: { title: 'bad' } });
      const text = await sendRequest(new URL(`http://127.0.0.1:${port}/text`), {});
      expect(text).toMatchObject({ status: 200, json: undefined, text: '{"not":"parsed"}' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
