/** Test helpers for processes under test: a free loopback port, and waiting for `/healthz`. */
export { freePort } from '../../test/services/free-port.ts';

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
