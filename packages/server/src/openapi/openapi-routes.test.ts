import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createSecretHasher } from '../keys/client-secret.ts';
import { loadKek } from '../keys/kek.ts';
import { createKeyRing } from '../keys/key-ring.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

describe('OpenAPI document and reference page', () => {
  it('documents every route the app serves', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-openapi-'));
    const store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    const kek = await loadKek({ dataDir: dir });
    const app = createApp({
      issuer: server.issuer,
      store,
      keyRing: createKeyRing({ store, kek }),
      hasher: createSecretHasher(kek.deriveKey('client-secret')),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    });
    await store.close();
    await rm(dir, { recursive: true, force: true });
    const served = new Set<string>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue;
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      served.add(`${route.method.toLowerCase()} ${path}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item)) documented.add(`${method} ${path}`);
    // 405 answers on the OAuth endpoints are not operations.
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect'])
      for (const m of ['get', 'put', 'patch', 'delete', 'options']) served.delete(`${m} ${path}`);
    expect(served.size).toBeGreaterThan(20);
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });

  it('resolves every $ref to a schema of the document', async () => {
    const text = await (await fetch(`${server.url}/api/openapi.json`)).text();
    const doc = JSON.parse(text) as Doc;
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z0-9_]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it('renders a self-contained reference page without scripts or remote resources', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    const html = await res.text();
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
    for (const needle of [
      '/oauth/token',
      '/api/v2/clients/{id}/rotate-secret',
      '/api/v2/client-grants',
      'update:client_keys',
      'ClientWithSecret',
    ]) {
      expect(html).toContain(needle);
    }
  });
});
