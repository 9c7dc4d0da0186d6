import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ManagementError } from '../http/errors.ts';
import { createConsoleAssets } from './console-assets.ts';
import { createConsoleSessions } from './console-session.ts';
import { createSessionSealer } from './session-seal.ts';

function setup(issuer = 'http://localhost:4000/') {
  let now = 1_000_000;
  const sealer = createSessionSealer(randomBytes(32));
  const sessions = createConsoleSessions({
    issuer,
    sealer,
    idleSeconds: 60,
    absoluteSeconds: 600,
    now: () => now,
  });
  const app = new Hono();
  app.get('/check', (c) => {
    try {
      const read = sessions.read(c, { requireCsrf: true });
      return c.json({ ok: read !== undefined, cookie: read?.setCookie });
    } catch (err) {
      if (err instanceof ManagementError) return c.json({ errorCode: err.errorCode }, 401);
      throw err;
    }
  });
  const call = async (setCookie: string, csrf: string) => {
    const res = await app.request('/check', {
      headers: { cookie: setCookie.split(';')[0]!, 'x-csrf-token': csrf },
    });
    return (await res.json()) as { ok?: boolean; cookie?: string; errorCode?: string };
  };
  return { sessions, sealer, call, advance: (ms: number) => (now += ms) };
}

describe('console session', () => {
  it('ends after the idle timeout, and each use pushes the idle timeout back', async () => {
    const { sessions, call, advance } = setup();
    const started = sessions.start('admin', 'a.b.c', 3600);
    const csrf = sessions.describe(started.session).csrf_token;
    advance(50_000);
    const used = await call(started.setCookie, csrf);
    expect(used.ok).toBe(true);
    advance(50_000);
    expect((await call(used.cookie!, csrf)).ok).toBe(true);
    expect((await call(started.setCookie, csrf)).errorCode).toBe('session_expired');
    advance(61_000);
    expect((await call(used.cookie!, csrf)).errorCode).toBe('session_expired');
  });

  it('ends at the absolute timeout even while in use, and never outlives its token', async () => {
    const { sessions, call, advance } = setup();
    const started = sessions.start('admin', 'a.b.c', 3600);
    const csrf = sessions.describe(started.session).csrf_token;
    let cookie = started.setCookie;
    for (let i = 0; i < 10; i++) {
      advance(55_000);
      const r = await call(cookie, csrf);
      expect(r.ok).toBe(true);
      cookie = r.cookie!;
    }
    advance(55_000);
    expect((await call(cookie, csrf)).errorCode).toBe('session_expired');

    const short = sessions.start('admin', 'a.b.c', 30);
    advance(31_000);
    expect((await call(short.setCookie, sessions.describe(short.session).csrf_token)).errorCode).toBe(
      'session_expired',
    );
  });

  it("accepts only the session's own CSRF token", async () => {
    const { sessions, call } = setup();
    const one = sessions.start('admin', 'a.b.c', 3600);
    const two = sessions.start('admin', 'a.b.c', 3600);
    expect((await call(one.setCookie, sessions.describe(two.session).csrf_token)).errorCode).toBe(
      'csrf_token_mismatch',
    );
    expect((await call(one.setCookie, '')).errorCode).toBe('csrf_token_missing');
  });

  it('marks the cookie Secure with the __Host- prefix when the issuer is HTTPS', () => {
    const { sessions } = setup('https://auth.example.com/');
    const { setCookie } = sessions.start('admin', 'a.b.c', 3600);
    expect(setCookie).toMatch(/^__Host-gatehouse_console=/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/Path=\/;/);
  });

  it('keeps the token unreadable in the cookie, and a cookie sealed under another key is refused', async () => {
    const a = setup();
    const b = setup();
    const started = a.sessions.start('admin', 'header.payload-secret-part.sig', 3600);
    expect(started.setCookie).not.toContain('payload-secret-part');
    expect((await b.call(started.setCookie, 'x')).errorCode).toBe('invalid_session');
  });
});

describe('console assets', () => {
  it('reports a missing build instead of failing', async () => {
    const assets = createConsoleAssets('/nonexistent/console/dist');
    expect(await assets.index()).toBeUndefined();
    expect(await assets.asset('../../etc/passwd')).toBeUndefined();
  });
});
