/** Child processes for benchmarks: pinned to cores with taskset, waited on until they say READY. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** Whether `taskset` exists here (util-linux); without it runs are unpinned and say so. */
export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Prefix a command with `taskset -c <cpus>` when pinning was asked for and is possible. */
export function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  if (!cpus || !hasTaskset) return [cmd, args];
  return ['taskset', ['-c', cpus, cmd, ...args]];
}

/** A free TCP port on 127.0.0.1 (the tests' helper: drawn below the kernel's ephemeral range). */
export { freePort } from '../../test/services/free-port.ts';

export interface Running<T> {
  info: T;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns a process and resolves once a stdout line starts with `READY ` (the rest parsed as JSON),
 * or once `ready(url)` answers when the process prints nothing. Rejects after `timeoutMs`.
 */
export function spawnUntilReady<T>(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cpus?: string; timeoutMs?: number; waitForUrl?: string } = {},
): Promise<Running<T>> {
  const [c, a] = pinned(opts.cpus, cmd, args);
  const child = spawn(c, a, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${cmd} did not become ready in time\n${err.slice(-2000)}`));
    }, opts.timeoutMs ?? 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready\n${err.slice(-2000)}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ info: JSON.parse(line.slice(6)) as T, child, stop });
      }
    });
    if (opts.waitForUrl) {
      const url = opts.waitForUrl;
      const poll = async () => {
        for (;;) {
          if (child.exitCode !== null) return;
          try {
            const r = await fetch(url);
            if (r.ok) {
              clearTimeout(timer);
              child.removeAllListeners('exit');
              return resolve({ info: {} as T, child, stop });
            }
          } catch {}
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll();
    }
  });
}
