import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { type Store, StoreNotFoundError } from '../store/store.ts';
import { ageNextKeysIn } from '../testing/start-test-server.ts';
import { createKek, loadKek } from './kek.ts';
import { createKeyRing, KeyRingError, PREVIOUS_KEY_RETENTION_MS } from './key-ring.ts';
import { generateSigningKey } from './signing-key.ts';

describe('key ring', () => {
  let dir: string;
  let file: string;
  let stores: Store[];
  const open = (): Store => {
    const s = createSqliteStore({ file });
    stores.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-ring-'));
    file = join(dir, 'gatehouse.db');
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has no signer before a key is ensured', async () => {
    const ring = createKeyRing({ store: open(), kek: await loadKek({ dataDir: dir }) });
    await expect(ring.getSigner('RS256')).rejects.toMatchObject({ code: 'ERR_NO_SIGNING_KEY' });
    expect((await ring.getJwks()).keys).toEqual([]);
  });

  it('creates exactly one current key under concurrent calls', async () => {
    const store = open();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    await Promise.all([
      ring.ensureSigningKey('RS256'),
      ring.ensureSigningKey('RS256'),
      ring.ensureSigningKey('RS256'),
      ring.ensureSigningKey('ES256'),
    ]);
    await ring.ensureSigningKey('RS256');
    const keys = await store.listSigningKeys();
    for (const alg of ['RS256', 'ES256']) {
      // One current key, and one next key published ahead of its turn.
      expect(
        keys
          .filter((k) => k.alg === alg)
          .map((k) => k.status)
          .sort(),
      ).toEqual(['current', 'next']);
    }
    expect(keys.filter((k) => k.status === 'current').every((k) => k.activatedAt !== null)).toBe(true);
  });

  it('agrees on one current key when two instances on one store race', async () => {
    const kek = await loadKek({ dataDir: dir });
    const a = createKeyRing({ store: open(), kek });
    const b = createKeyRing({ store: open(), kek });
    await Promise.all([a.ensureSigningKey('PS256'), b.ensureSigningKey('PS256')]);
    const [sa, sb] = await Promise.all([a.getSigner('PS256'), b.getSigner('PS256')]);
    expect(sa.kid).toBe(sb.kid);
    expect((await a.listKeys()).filter((k) => k.status === 'current')).toHaveLength(1);
  });

  it('promotes an existing next key rather than generating another', async () => {
    const store = open();
    const kek = await loadKek({ dataDir: dir });
    const next = await store.createSigningKey(await generateSigningKey('EdDSA', kek));
    const ring = createKeyRing({ store, kek });
    await ring.ensureSigningKey('EdDSA');
    expect((await ring.getSigner('EdDSA')).kid).toBe(next.kid);
    const keys = await store.listSigningKeys();
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.kid !== next.kid)?.status).toBe('next');
  });

  it('decrypts a signer once and hands out the same one', async () => {
    const ring = createKeyRing({ store: open(), kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('ES256');
    const first = await ring.getSigner('ES256');
    expect(first.alg).toBe('ES256');
    expect(first.privateKey.type).toBe('private');
    expect(await ring.getSigner('ES256')).toBe(first);
    expect(ring.getSigner('ES256')).toBe(ring.getSigner('ES256'));
  });

  it('publishes next, current and previous keys but never revoked ones, and only public members', async () => {
    const store = open();
    const kek = await loadKek({ dataDir: dir });
    const ring = createKeyRing({ store, kek });
    await ring.ensureSigningKey('RS256');
    const old = await ring.getSigner('RS256');
    const next = (await store.listSigningKeys()).find((k) => k.status === 'next')!;
    const revoked = await store.createSigningKey(await generateSigningKey('ES256', kek));
    await store.updateSigningKey(revoked.kid, { status: 'revoked', revokedAt: Date.now() });
    await ring.refresh();
    expect((await ring.getJwks()).keys.map((k) => k.kid)).toEqual([old.kid, next.kid]);

    await store.activateSigningKey(next.kid, Date.now());
    // Until refresh the cached signer stays; after it the new key signs and the old one still verifies.
    expect((await ring.getSigner('RS256')).kid).toBe(old.kid);
    await ring.refresh();
    expect((await ring.getSigner('RS256')).kid).toBe(next.kid);
    const jwks = await ring.getJwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([next.kid, old.kid]);
    for (const k of jwks.keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
    expect(Object.isFrozen(jwks.keys[0])).toBe(true);
  });

  it('drops a revoked key from signing and from the JWKS on refresh', async () => {
    const store = open();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('EdDSA');
    const signer = await ring.getSigner('EdDSA');
    await store.updateSigningKey(signer.kid, { status: 'revoked', revokedAt: Date.now() });
    await ring.refresh();
    await expect(ring.getSigner('EdDSA')).rejects.toBeInstanceOf(KeyRingError);
    const next = (await store.listSigningKeys()).find((k) => k.status === 'next')!;
    expect((await ring.getJwks()).keys.map((k) => k.kid)).toEqual([next.kid]);
  });

  it('keeps its keys across a restart: tokens signed before verify after', async () => {
    const first = createKeyRing({ store: open(), kek: await loadKek({ dataDir: dir }) });
    await first.ensureSigningKey('RS256');
    const before = await first.getSigner('RS256');
    const token = await new SignJWT({ sub: 'svc' })
      .setProtectedHeader({ alg: 'RS256', kid: before.kid, typ: 'at+jwt' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(before.privateKey);
    for (const s of stores.splice(0)) await s.close();

    const second = createKeyRing({ store: open(), kek: await loadKek({ dataDir: dir }) });
    await second.ensureSigningKey('RS256');
    const after = await second.getSigner('RS256');
    expect(after.kid).toBe(before.kid);
    const { payload } = await jwtVerify(token, createLocalJWKSet(await second.getJwks()));
    expect(payload.sub).toBe('svc');
  });

  it('reports a key sealed under another KEK without revealing anything', async () => {
    const store = open();
    await createKeyRing({ store, kek: await loadKek({ dataDir: dir }) }).ensureSigningKey('ES256');
    const stranger = createKeyRing({ store, kek: createKek(randomBytes(32)) });
    const err = await stranger.getSigner('ES256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as KeyRingError).code).toBe('ERR_SIGNING_KEY_UNREADABLE');
    expect((err as KeyRingError).message).toContain('GATEHOUSE_KEK');
    expect((await stranger.getJwks()).keys).toHaveLength(2);
  });

  it('rotates to the pre-published next key; the old one keeps verifying until revoked', async () => {
    const store = open();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('ES256');
    const old = await ring.getSigner('ES256');
    const published = (await store.listSigningKeys()).find((k) => k.status === 'next')!;
    const oldToken = await new SignJWT({ sub: 'svc' })
      .setProtectedHeader({ alg: 'ES256', kid: old.kid })
      .setExpirationTime('5m')
      .sign(old.privateKey);

    const rotated = await ring.rotateSigningKey('ES256');
    expect(rotated).toMatchObject({ kid: published.kid, alg: 'ES256', status: 'current' });
    expect((await ring.getSigner('ES256')).kid).toBe(published.kid);
    const keys = await ring.listKeys();
    expect(keys.find((k) => k.kid === old.kid)?.status).toBe('previous');
    const newNext = keys.find((k) => k.status === 'next');
    expect(newNext).toBeDefined();
    await expect(jwtVerify(oldToken, createLocalJWKSet(await ring.getJwks()))).resolves.toBeTruthy();

    await expect(ring.revokeSigningKey('no-such-kid')).rejects.toBeInstanceOf(StoreNotFoundError);
    const revoked = await ring.revokeSigningKey(old.kid);
    expect(revoked).toMatchObject({ kid: old.kid, status: 'revoked' });
    expect(revoked.revokedAt).not.toBeNull();
    await expect(jwtVerify(oldToken, createLocalJWKSet(await ring.getJwks()))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    expect((await ring.getJwks()).keys.map((k) => k.kid)).toEqual([rotated.kid, newNext!.kid]);
  });

  it('rotates away from the current key before revoking it, so a signer is always there', async () => {
    const ring = createKeyRing({ store: open(), kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('EdDSA');
    const current = await ring.getSigner('EdDSA');
    const revoked = await ring.revokeSigningKey(current.kid);
    expect(revoked.status).toBe('revoked');
    const signer = await ring.getSigner('EdDSA');
    expect(signer.kid).not.toBe(current.kid);
    const keys = await ring.listKeys();
    expect(keys.filter((k) => k.status === 'current')).toHaveLength(1);
    expect(keys.filter((k) => k.status === 'next')).toHaveLength(1);
    expect((await ring.getJwks()).keys.map((k) => k.kid)).not.toContain(current.kid);
  });
});

describe('key ring: a rotated key signs once published for publishLeadMs', () => {
  const LEAD = 600_000;
  let dir: string;
  let stores: Store[];
  let clock: number;
  const ring = async (store = open()) =>
    createKeyRing({ store, kek: await loadKek({ dataDir: dir }), publishLeadMs: LEAD, now: () => clock });
  const open = (): Store => {
    const s = createSqliteStore({ file: join(dir, 'gatehouse.db') });
    stores.push(s);
    return s;
  };
  /** The ring's first current and next key for RS256, the clock one second after they were made. */
  const started = async (r: Awaited<ReturnType<typeof ring>>) => {
    await r.ensureSigningKey('RS256');
    const keys = await r.listKeys();
    const current = keys.find((k) => k.status === 'current')!;
    const next = keys.find((k) => k.status === 'next')!;
    clock = next.createdAt + 1000;
    return { current, next };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-ring-lead-'));
    stores = [];
    clock = Date.now();
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a next key published too recently at createdAt + publishLeadMs; the replaced key signs until then', async () => {
    const r = await ring();
    const { current, next } = await started(r);
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);

    const rotated = await r.rotateSigningKey('RS256');
    const startsAt = next.createdAt + LEAD;
    expect(rotated).toMatchObject({ kid: next.kid, status: 'current', activatedAt: startsAt });
    const keys = await r.listKeys();
    expect(keys.find((k) => k.kid === current.kid)).toMatchObject({
      status: 'previous',
      retiredAt: startsAt,
    });
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);
    expect((await r.getJwks()).keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([current.kid, next.kid]),
    );
    clock = startsAt - 1;
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);
    // at the start the promoted key signs, without any refresh of the ring
    clock = startsAt;
    expect((await r.getSigner('RS256')).kid).toBe(next.kid);
  });

  it('starts a next key published publishLeadMs ago or longer at once', async () => {
    const r = await ring();
    const { next } = await started(r);
    clock = next.createdAt + LEAD + 5;
    const rotated = await r.rotateSigningKey('RS256');
    expect(rotated).toMatchObject({ kid: next.kid, activatedAt: clock });
    expect((await r.getSigner('RS256')).kid).toBe(next.kid);
  });

  it('lets each key of two quick rotations sign in turn, each once published long enough', async () => {
    const r = await ring();
    const { current, next: first } = await started(r);
    await r.rotateSigningKey('RS256');
    const second = (await r.listKeys()).find((k) => k.status === 'next')!;
    clock += 1000;
    const rotated = await r.rotateSigningKey('RS256');
    expect(rotated).toMatchObject({ kid: second.kid, activatedAt: second.createdAt + LEAD });
    const keys = await r.listKeys();
    expect(keys.find((k) => k.kid === first.kid)).toMatchObject({
      status: 'previous',
      activatedAt: first.createdAt + LEAD,
      retiredAt: second.createdAt + LEAD,
    });
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);
    clock = first.createdAt + LEAD;
    expect((await r.getSigner('RS256')).kid).toBe(first.kid);
    clock = second.createdAt + LEAD;
    expect((await r.getSigner('RS256')).kid).toBe(second.kid);
  });

  it('follows a rotation made through another ring on the same store at its start', async () => {
    const a = await ring();
    const b = await ring();
    const { current, next } = await started(a);
    expect((await b.getSigner('RS256')).kid).toBe(current.kid);
    await a.rotateSigningKey('RS256');
    await b.refresh();
    expect((await b.getSigner('RS256')).kid).toBe(current.kid);
    clock = next.createdAt + LEAD;
    expect((await b.getSigner('RS256')).kid).toBe(next.kid);
  });

  it('signs with the promoted key at once when the key signing meanwhile is revoked', async () => {
    const r = await ring();
    const { current, next } = await started(r);
    await r.rotateSigningKey('RS256');
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);
    await r.revokeSigningKey(current.kid);
    expect((await r.getSigner('RS256')).kid).toBe(next.kid);
    expect((await r.getJwks()).keys.map((k) => k.kid)).not.toContain(current.kid);
  });

  it('revoking the current key that signs rotates at once, even to a next key published just now', async () => {
    const r = await ring();
    const { current, next } = await started(r);
    await r.revokeSigningKey(current.kid);
    expect((await r.listKeys()).find((k) => k.kid === next.kid)).toMatchObject({
      status: 'current',
      activatedAt: clock,
    });
    expect((await r.getSigner('RS256')).kid).toBe(next.kid);
  });

  it('revoking a current key whose start is ahead rotates past it, the key signing now going on', async () => {
    const r = await ring();
    const { current, next } = await started(r);
    await r.rotateSigningKey('RS256');
    const newer = (await r.listKeys()).find((k) => k.status === 'next')!;
    await r.revokeSigningKey(next.kid);
    const keys = await r.listKeys();
    expect(keys.find((k) => k.kid === next.kid)?.status).toBe('revoked');
    expect(keys.find((k) => k.kid === newer.kid)).toMatchObject({
      status: 'current',
      activatedAt: newer.createdAt + LEAD,
    });
    expect((await r.getSigner('RS256')).kid).toBe(current.kid);
    clock = newer.createdAt + LEAD;
    expect((await r.getSigner('RS256')).kid).toBe(newer.kid);
  });
});

describe('key ring maintenance (scheduled rotation)', () => {
  let dir: string;
  let file: string;
  let stores: Store[];
  const DAY = 86_400_000;
  const open = (): Store => {
    const s = createSqliteStore({ file });
    stores.push(s);
    return s;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-maint-'));
    file = join(dir, 'gatehouse.db');
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates once the period has passed and the next key has been published long enough', async () => {
    const store = open();
    let clock = Date.now();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }), now: () => clock });
    await ring.ensureSigningKey('RS256');
    const initial = await store.listSigningKeys();
    const c = initial.find((k) => k.status === 'current')!;
    const n = initial.find((k) => k.status === 'next')!;
    const opts = { rotationMs: DAY, prepublishMs: 600_000 };
    expect(await ring.maintain({ ...opts, now: c.activatedAt! + DAY - 1 })).toEqual([]);
    expect(await ring.maintain({ ...opts, now: c.activatedAt! + DAY, rotationMs: 0 })).toEqual([]);
    clock = c.activatedAt! + DAY;
    const rotated = await ring.maintain({ ...opts, now: clock });
    expect(rotated.map((k) => k.kid)).toEqual([n.kid]);
    expect((await ring.getSigner('RS256')).kid).toBe(n.kid);
    const keys = await store.listSigningKeys();
    expect(keys.find((k) => k.kid === c.kid)?.status).toBe('previous');
    expect(keys.filter((k) => k.status === 'next')).toHaveLength(1);
  });

  it('waits for a next key younger than the pre-publication time', async () => {
    const store = open();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('ES256');
    const keys = await store.listSigningKeys();
    const next = keys.find((k) => k.status === 'next')!;
    const opts = { rotationMs: 1, prepublishMs: 600_000 };
    expect(await ring.maintain({ ...opts, now: next.createdAt + 599_999 })).toEqual([]);
    expect((await ring.maintain({ ...opts, now: next.createdAt + 600_000 })).map((k) => k.kid)).toEqual([
      next.kid,
    ]);
  });

  it('publishes a next key where one is missing', async () => {
    const store = open();
    const kek = await loadKek({ dataDir: dir });
    await store.createSigningKey(await generateSigningKey('PS256', kek, { status: 'current' }));
    const ring = createKeyRing({ store, kek });
    // Within a minute of a key becoming current, its rotation publishes the `next` key itself.
    await ring.maintain({ now: Date.now(), rotationMs: 0, prepublishMs: 0 });
    expect((await store.listSigningKeys()).map((k) => k.status)).toEqual(['current']);
    await ring.maintain({ now: Date.now() + 61_000, rotationMs: 0, prepublishMs: 0 });
    expect((await store.listSigningKeys()).map((k) => k.status).sort()).toEqual(['current', 'next']);
    expect((await ring.getJwks()).keys).toHaveLength(2);
  });

  it('rotates once when two instances on one store are due at the same moment', async () => {
    const kek = await loadKek({ dataDir: dir });
    let clock = Date.now();
    const a = createKeyRing({ store: open(), kek, now: () => clock });
    const b = createKeyRing({ store: open(), kek, now: () => clock });
    await a.ensureSigningKey('RS256');
    const before = await a.listKeys();
    const current = before.find((k) => k.status === 'current')!;
    const next = before.find((k) => k.status === 'next')!;
    const now = current.activatedAt! + DAY;
    clock = now;
    await Promise.all([
      a.maintain({ now, rotationMs: DAY, prepublishMs: 0 }),
      b.maintain({ now, rotationMs: DAY, prepublishMs: 0 }),
    ]);
    const after = await a.listKeys();
    expect(after.filter((k) => k.status === 'current').map((k) => k.kid)).toEqual([next.kid]);
    expect(after.filter((k) => k.status === 'previous').map((k) => k.kid)).toEqual([current.kid]);
    expect((await a.getSigner('RS256')).kid).toBe(next.kid);
    expect((await b.getSigner('RS256')).kid).toBe(next.kid);
  });

  it('drops a retired key from the JWKS once every token it signed has expired', async () => {
    const store = open();
    const ring = createKeyRing({ store, kek: await loadKek({ dataDir: dir }) });
    await ring.ensureSigningKey('EdDSA');
    const old = await ring.getSigner('EdDSA');
    await ring.rotateSigningKey('EdDSA');
    expect((await ring.getJwks()).keys.map((k) => k.kid)).toContain(old.kid);
    const retiredAt = (await store.getSigningKey(old.kid))!.retiredAt!;
    await store.updateSigningKey(old.kid, { retiredAt: retiredAt - PREVIOUS_KEY_RETENTION_MS });
    await ring.refresh();
    expect((await ring.getJwks()).keys.map((k) => k.kid)).not.toContain(old.kid);
    expect((await store.getSigningKey(old.kid))?.status).toBe('previous');
  });

  it('keeps a retired key publishLeadMs longer, as another instance may sign with it until it re-reads the keys', async () => {
    const store = open();
    const lead = 600_000;
    let clock = Date.now();
    const ring = createKeyRing({
      store,
      kek: await loadKek({ dataDir: dir }),
      publishLeadMs: lead,
      now: () => clock,
    });
    await ring.ensureSigningKey('RS256');
    const old = await ring.getSigner('RS256');
    await ageNextKeysIn(store);
    await ring.rotateSigningKey('RS256');
    const retiredAt = (await store.getSigningKey(old.kid))!.retiredAt!;
    clock = retiredAt + PREVIOUS_KEY_RETENTION_MS + lead - 1;
    await ring.refresh();
    expect((await ring.getJwks()).keys.map((k) => k.kid)).toContain(old.kid);
    clock = retiredAt + PREVIOUS_KEY_RETENTION_MS + lead;
    await ring.refresh();
    expect((await ring.getJwks()).keys.map((k) => k.kid)).not.toContain(old.kid);
  });
});
