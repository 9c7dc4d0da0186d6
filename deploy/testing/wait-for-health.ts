/** Test helpers for processes under test: a free loopback port, and waiting for `/healthz`. */
import { createServer } from 'node:net';

/** A process being watched: resolves `exited` when it ends; `output()` is what it wrote. */
export interface WatchedProcess {
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Polls `url` until it answers 2xx; fails early, with the output, if the process exits. */
export async function waitForHealth(url: string, process: WatchedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void process.exited.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`the process exited before ${url} answered:\n${process.output()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${process.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
