/**
 * A free TCP port on 127.0.0.1 for a server a test starts in another process, which has to be told
 * its port before it binds it. The port is probed free and released for the child, and in between
 * another process may take it. So it is drawn at random from below Linux's ephemeral range
 * (`ip_local_port_range`, 32768-60999 by default), where the kernel places every `listen(0)` and
 * every outgoing connection: there only another test's pick can land on it, not the many
 * connections the tests make. One process never hands out the same port twice.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 20_000;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range; the default when it cannot be read. */
function ephemeralStart(): number {
  try {
    const start = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > 0 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether `port` (0: any) can be bound now; the port bound, or undefined. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port that was free on 127.0.0.1 a moment ago, and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  const highest = ephemeralStart() - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    // below the ephemeral range when there is room for it; else the kernel's pick
    const pick = highest - LOWEST >= 1000 ? LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1)) : 0;
    if (handedOut.has(pick)) continue;
    const port = await probe(pick);
    if (port === undefined || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free TCP port found on 127.0.0.1');
}
