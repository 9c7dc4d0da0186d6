import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import {
  type AuditRecorder,
  type ConsoleEvent,
  createAuditRecorder,
  incrementUlid,
} from './audit-recorder.ts';

const T0 = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;

describe('audit recorder', () => {
  let dir: string;
  let store: Store;
  let lines: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-recorder-'));
    store = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    lines = [];
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const recorderOver = (s: Store, trustProxyHops = 0): AuditRecorder =>
    createAuditRecorder({
      store: s,
      logger: createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } }),
      retentionMs: 30 * DAY,
      trustProxyHops,
      now: () => T0,
    });

  /** Sends one request through a route that records `event`, with `peer` as the socket address. */
  async function recordVia(
    recorder: AuditRecorder,
    event: ConsoleEvent,
    peer: string,
    headers: Record<string, string> = {},
  ) {
    const app = new Hono();
    app.post('/admin/session', async (c) => {
      await recorder.recordConsole(c, event);
      return c.body(null, 204);
    });
    const res = await app.request(
      '/admin/session?x=1',
      { method: 'POST', headers },
      { incoming: { socket: { remoteAddress: peer } } },
    );
    expect(res.status).toBe(204);
  }

  it('records console sign-in, failed sign-in and sign-out with the client, its name and the session', async () => {
    await store.createClient({
      clientId: 'adminclient',
      name: 'Ops admin',
      description: '',
      appType: 'non_interactive',
      tokenEndpointAuthMethod: 'client_secret_post',
      secrets: [],
      credentials: [],
      metadata: {},
      disabled: false,
    });
    const recorder = recorderOver(store);
    await recordVia(recorder, { type: 's', clientId: 'adminclient', sessionId: 'sess1' }, '::ffff:10.1.2.3', {
      'user-agent': 'Browser\u0007/1.0',
    });
    await recordVia(
      recorder,
      { type: 'f', clientId: 'not a client id\n', reason: 'invalid_credentials' },
      '2001:db8::1',
    );
    await recordVia(recorder, { type: 'slo', clientId: 'adminclient', sessionId: 'sess1' }, '10.1.2.3');
    const { items, total } = await store.listAuditEvents({ page: 0, perPage: 10, now: T0, order: 'asc' });
    expect(total).toBe(3);
    expect(
      items.map((e) => [e.type, e.action, e.outcome, e.clientId, e.clientName, e.targetId, e.ip]),
    ).toEqual([
      ['s', 'console.signed_in', 'success', 'adminclient', 'Ops admin', 'sess1', '10.1.2.3'],
      ['f', 'console.sign_in_failed', 'failure', null, null, null, '2001:db8::1'],
      ['slo', 'console.signed_out', 'success', 'adminclient', 'Ops admin', 'sess1', '10.1.2.3'],
    ]);
    expect(items[0]!.userAgent).toBe('Browser/1.0');
    expect(items[0]!.expiresAt).toBe(T0 + 30 * DAY);
    expect(items[0]!.details).toEqual({
      request: { method: 'POST', path: '/admin/session', query: { x: '1' } },
    });
    expect(items[1]!.details).toMatchObject({ error: { message: 'invalid_credentials' } });
    // Same millisecond, yet ids keep the order of the events.
    expect(items.map((e) => e.id)).toEqual([...items.map((e) => e.id)].sort());
    expect(new Set(items.map((e) => e.id)).size).toBe(3);
  });

  it('records a refused federated sign-in with bounded claims, no token-looking value and no odd client id', async () => {
    const recorder = recorderOver(store);
    const app = new Hono();
    app.post('/oauth/token', async (c) => {
      await recorder.recordFederatedSignIn(c, {
        outcome: 'failure',
        clientId: 'not a client id\n',
        issuer: 'https://issuer.example',
        subject: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
        reason: 'x'.repeat(5000),
      });
      return c.body(null, 204);
    });
    expect((await app.request('/oauth/token', { method: 'POST' })).status).toBe(204);
    const { items } = await store.listAuditEvents({ page: 0, perPage: 10, now: T0 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'feccft',
      action: 'client.federated_sign_in',
      outcome: 'failure',
      clientId: null,
      targetType: 'client',
      targetId: null,
    });
    expect(items[0]!.details).toMatchObject({
      issuer: 'https://issuer.example',
      subject: '[redacted]',
      kind: null,
      credential_id: null,
      request: { method: 'POST', path: '/oauth/token', query: {} },
    });
    expect((items[0]!.details.error as { message: string }).message).toHaveLength(512);
  });

  it('takes the address from X-Forwarded-For only behind trusted proxies, that many hops back', async () => {
    await recordVia(recorderOver(store, 1), { type: 's', clientId: 'a' }, '10.0.0.1', {
      'x-forwarded-for': '6.6.6.6, 203.0.113.7',
    });
    await recordVia(recorderOver(store, 0), { type: 's', clientId: 'b' }, '10.0.0.1', {
      'x-forwarded-for': '6.6.6.6',
    });
    await recordVia(recorderOver(store, 1), { type: 's', clientId: 'c' }, '10.0.0.1', {
      'x-forwarded-for': 'junk<script>',
    });
    const { items } = await store.listAuditEvents({ page: 0, perPage: 10, now: T0, order: 'asc' });
    // Three recorders in one millisecond: their ids do not order them, so sort by client.
    const seen = items
      .map((e) => [e.clientId, e.ip])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(seen).toEqual([
      ['a', '203.0.113.7'],
      ['b', '10.0.0.1'],
      ['c', '10.0.0.1'],
    ]);
  });

  it('logs a store failure and answers null rather than failing the change it describes', async () => {
    const broken: Store = { ...store, appendAuditEvent: () => Promise.reject(new Error('disk full')) };
    const recorder = recorderOver(broken);
    const app = new Hono();
    app.post('/x', async (c) =>
      c.json({ stored: await recorder.recordConsole(c, { type: 's', clientId: 'a' }) }),
    );
    const res = await app.request('/x', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(lines.some((l) => l.includes('audit event not stored') && l.includes('disk full'))).toBe(true);
  });

  it('counts ULIDs up within a millisecond', () => {
    expect(incrementUlid('01M89XB6YE0000000000000000')).toBe('01M89XB6YE0000000000000001');
    expect(incrementUlid('01M89XB6YE000000000000000Z')).toBe('01M89XB6YE0000000000000010');
  });
});
