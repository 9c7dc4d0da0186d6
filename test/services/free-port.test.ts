import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './free-port.ts';

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range that can be bound at once', async () => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(50);
    // (a kernel whose ephemeral range starts below 21000 leaves no room under it: ports are its picks)
    if (start > 21_000) {
      for (const port of ports) expect(port).toBeGreaterThanOrEqual(20_000);
      for (const port of ports) expect(port).toBeLessThan(start);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    server.close();
  });
});
