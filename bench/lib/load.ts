/** HTTP load with autocannon's CLI in its own (optionally pinned) process, so the load generator never shares the measured core. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pinned } from './processes.ts';

const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  seconds?: number;
  /** Cores for the load generator (taskset list). */
  cpus?: string;
}

export interface LoadResult {
  rps: number;
  latencyP50: number;
  latencyP99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** Runs one bounded autocannon load and returns requests/s and latencies. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const args = [
    autocannonBin,
    '-j',
    '-c',
    String(o.connections ?? 16),
    '-d',
    String(o.seconds ?? 8),
    '-m',
    o.method ?? 'GET',
  ];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (o.body !== undefined) args.push('-b', o.body);
  args.push(o.url);
  const [cmd, a] = pinned(o.cpus, process.execPath, args);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    let e = '';
    child.stdout.on('data', (d: Buffer) => {
      s += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      e += d.toString();
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(s) : reject(new Error(`autocannon failed: ${e.slice(-500)}`)),
    );
  });
  const j = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return {
    rps: j.requests.average,
    latencyP50: j.latency.p50,
    latencyP99: j.latency.p99,
    requests: j.requests.total,
    non2xx: j.non2xx,
    errors: j.errors,
  };
}

/** Formats a ratio as `0.87×`. */
export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}
