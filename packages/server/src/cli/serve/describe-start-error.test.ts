import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeStartError } from './describe-start-error.ts';

describe('describeStartError', () => {
  it('explains a port that is already taken, naming GATEHOUSE_PORT', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const second = net.createServer();
    const error = await new Promise<unknown>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    expect(describeStartError(error, { host: '127.0.0.1', port })).toBe(
      `cannot listen on 127.0.0.1:${port}: address already in use (set GATEHOUSE_PORT to a free port)`,
    );
  });

  it("passes the server's own start error through as it is", () => {
    const error = Object.assign(new Error('cannot listen on 127.0.0.1:80: permission denied'), {
      code: 'ERR_SERVER_START',
    });
    expect(describeStartError(error, { host: '127.0.0.1', port: 80 })).toBe(
      'cannot listen on 127.0.0.1:80: permission denied',
    );
  });

  it('keeps only the first line of any other error', () => {
    expect(describeStartError(new Error('KEK unreadable\n    at x (y.ts:1:1)'), { host: 'h', port: 1 })).toBe(
      'cannot start: KEK unreadable',
    );
  });
});
