import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createSecretHasher } from '../keys/client-secret.ts';
import { loadKek } from '../keys/kek.ts';
import { createKeyRing } from '../keys/key-ring.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

let dir: string;
let store: Store;
let app: ReturnType<typeof createApp>;
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-health-'));
  store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
  const kek = await loadKek({ dataDir: dir });
  app = createApp({
    issuer: 'http://gatehouse.test/',
    store,
    keyRing: createKeyRing({ store, kek }),
    hasher: createSecretHasher(kek.deriveKey('client-secret')),
    logger: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } }),
    metrics: createMetrics(),
  });
});
afterAll(async () => {
  await store.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

describe('health and metrics (runtime-agnostic app.fetch)', () => {
  it('answers 200 ok while the store answers', async () => {
    const res = await app.fetch(new Request('http://gatehouse.test/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('serves Prometheus metrics with the request histogram and process metrics', async () => {
    const res = await app.fetch(new Request('http://gatehouse.test/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /gatehouse_http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} 1/,
    );
    expect(text).toContain('# TYPE gatehouse_tokens_issued_total counter');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers 503 when the store is unreachable, and the token endpoint says temporarily_unavailable', async () => {
    await store.close();
    const res = await app.fetch(new Request('http://gatehouse.test/healthz'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe('unavailable');
    const token = await app.fetch(
      new Request('http://gatehouse.test/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=a&client_secret=b&audience=x',
      }),
    );
    expect(token.status).toBe(503);
    expect(((await token.json()) as { error: string }).error).toBe('temporarily_unavailable');
    expect(lines.join('\n')).toMatch(/store unreachable/);
  });
});
