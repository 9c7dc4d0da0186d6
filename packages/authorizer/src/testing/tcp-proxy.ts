/**
 * A tiny TCP proxy on 127.0.0.1 for tests that cut a component off from another: `pause()` drops
 * every open connection and resets each new one (the client sees ECONNRESET, as when a network path
 * fails), `resume()` forwards again.
 */

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

/** A running proxy: its base URL (`http://127.0.0.1:<port>`) and its switch. */
export interface TcpProxy {
  readonly url: string;
  pause(): void;
  resume(): void;
  /** Connections refused while paused. */
  readonly refused: () => number;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port`) on an ephemeral loopback port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let paused = false;
  let refused = 0;
  const server = createServer((client) => {
    if (paused) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pause() {
      paused = true;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    resume() {
      paused = false;
    },
    refused: () => refused,
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
