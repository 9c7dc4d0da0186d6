import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKek, KEK_FILE_NAME, KekError, loadKek, parseKek } from './kek.ts';

describe('key-encryption key', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-kek-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('loading', () => {
    it('generates a key file readable only by its owner, in a folder only its owner can enter', async () => {
      const dataDir = join(root, 'data');
      await loadKek({ dataDir });
      expect((await stat(join(dataDir, KEK_FILE_NAME))).mode & 0o777).toBe(0o600);
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      const text = (await readFile(join(dataDir, KEK_FILE_NAME), 'utf8')).trim();
      expect(Buffer.from(text, 'base64url')).toHaveLength(32);
      expect(await readdir(dataDir)).toEqual([KEK_FILE_NAME]);
    });

    it('reuses the generated key on the next start', async () => {
      const first = await loadKek({ dataDir: root });
      const sealed = first.seal(Buffer.from('private key bytes'), 'kid-1');
      const second = await loadKek({ dataDir: root });
      expect(second.id).toBe(first.id);
      expect(second.open(sealed, 'kid-1').toString()).toBe('private key bytes');
    });

    it('agrees on one key when several starts race on an empty data dir', async () => {
      const keks = await Promise.all(Array.from({ length: 6 }, () => loadKek({ dataDir: join(root, 'd') })));
      expect(new Set(keks.map((k) => k.id)).size).toBe(1);
      expect(await readdir(join(root, 'd'))).toEqual([KEK_FILE_NAME]);
    });

    it('uses GATEHOUSE_KEK when given and writes no file', async () => {
      const value = randomBytes(32).toString('base64url');
      const a = await loadKek({ dataDir: join(root, 'x'), kekEnv: value });
      const b = createKek(Buffer.from(value, 'base64url'));
      expect(a.id).toBe(b.id);
      expect(b.open(a.seal(Buffer.from('hi'), 'k'), 'k').toString()).toBe('hi');
      await expect(stat(join(root, 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('refuses a GATEHOUSE_KEK that is not 32 bytes of base64url, naming the variable but not its value', async () => {
      const bad = [
        'too-short',
        randomBytes(31).toString('base64url'),
        randomBytes(33).toString('base64url'),
        `${randomBytes(32).toString('base64')}`.replace(/[^+/=]/, '+'),
        randomBytes(32).toString('hex'),
      ];
      for (const value of bad) {
        const err = await loadKek({ dataDir: root, kekEnv: value }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KekError);
        expect((err as KekError).code).toBe('ERR_KEK_INVALID');
        expect((err as KekError).message).toContain('GATEHOUSE_KEK');
        expect((err as KekError).message).not.toContain(value);
      }
      expect(await readdir(root)).toEqual([]);
    });

    it('refuses a damaged key file instead of replacing it', async () => {
      await writeFile(join(root, KEK_FILE_NAME), 'not a key\n', { mode: 0o600 });
      await expect(loadKek({ dataDir: root })).rejects.toMatchObject({ code: 'ERR_KEK_INVALID' });
      expect(await readFile(join(root, KEK_FILE_NAME), 'utf8')).toBe('not a key\n');
    });

    it('parses a valid value with surrounding whitespace', () => {
      const value = randomBytes(32).toString('base64url');
      expect(parseKek(`  ${value}\n`)).toEqual(Buffer.from(value, 'base64url'));
    });
  });

  describe('sealing', () => {
    const kek = createKek(randomBytes(32));
    const secret = Buffer.from('-----BEGIN PRIVATE KEY----- very secret');

    it('opens what it sealed with the same aad', () => {
      const sealed = kek.seal(secret, 'kid-a');
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      expect(kek.open(sealed, 'kid-a')).toEqual(secret);
      expect(kek.open(kek.seal(Buffer.alloc(0), ''), '')).toEqual(Buffer.alloc(0));
    });

    it('uses a fresh IV for every seal', () => {
      const a = kek.seal(secret, 'kid-a');
      const b = kek.seal(secret, 'kid-a');
      expect(a).not.toBe(b);
      expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
      expect(a).not.toContain(secret.toString('base64url'));
    });

    it('refuses a sealed value moved to another record', () => {
      const sealed = kek.seal(secret, 'kid-a');
      expect(() => kek.open(sealed, 'kid-b')).toThrow(KekError);
    });

    it('refuses a sealed value under another key-encryption key', () => {
      const other = createKek(randomBytes(32));
      expect(() => other.open(kek.seal(secret, 'kid-a'), 'kid-a')).toThrow(KekError);
    });

    it('refuses any altered part, with a coded error that reveals nothing', () => {
      const sealed = kek.seal(secret, 'kid-a');
      const parts = sealed.split('.');
      const flip = (s: string): string => {
        const b = Buffer.from(s, 'base64url');
        b[0] = (b[0] ?? 0) ^ 1;
        return b.toString('base64url');
      };
      const tampered = [
        [parts[0], flip(parts[1]!), parts[2], parts[3]],
        [parts[0], parts[1], flip(parts[2]!), parts[3]],
        [parts[0], parts[1], parts[2], flip(parts[3]!)],
        ['v2', parts[1], parts[2], parts[3]],
        [parts[0], parts[1], parts[2]],
        [parts[0], parts[1], `${parts[2]}AA`, parts[3]],
      ].map((p) => p.join('.'));
      for (const t of [...tampered, '', 'garbage']) {
        let caught: unknown;
        try {
          kek.open(t, 'kid-a');
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(KekError);
        expect((caught as KekError).code).toBe('ERR_KEK_OPEN');
        expect((caught as KekError).message).not.toContain('very secret');
        expect((caught as KekError).message).not.toContain(t.slice(3, 20) || 'unused-marker');
      }
    });
  });

  describe('derived keys', () => {
    it('derives a stable 32-byte key per label, distinct per label and per KEK', () => {
      const raw = randomBytes(32);
      const a = createKek(raw);
      const b = createKek(raw);
      const c = createKek(randomBytes(32));
      expect(a.deriveKey('client-secret')).toHaveLength(32);
      expect(a.deriveKey('client-secret')).toEqual(b.deriveKey('client-secret'));
      expect(a.deriveKey('client-secret')).not.toEqual(a.deriveKey('other'));
      expect(a.deriveKey('client-secret')).not.toEqual(c.deriveKey('client-secret'));
      expect(a.deriveKey('client-secret')).not.toEqual(raw);
    });
  });
});
