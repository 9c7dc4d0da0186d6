/**
 * The secret scan of the whole test run (issue 11: "scans every log line, error body, metrics page
 * and store file produced by the whole test run for every secret, private key and token it
 * created: none may appear"). This file is its engine: a ledger of what was secret (needles, by
 * kind) and a search of places (log lines, answers, spawned processes' output, store rows and
 * files) for them. A leak is reported by kind and place, never by value.
 *
 * Who feeds it:
 * - every `startTestServer` (`start-test-server.ts`): the secrets and tokens its answers delivered,
 *   its bootstrap secret, key-encryption key and signing private keys; it scans its log, every
 *   other answer (`secret-scan-answers.ts`) and its store (`secret-scan-store.ts`) at `close()`;
 * - the e2e suites that spawn bins (`secret-scan-spawned.ts`): what they obtained, and the output
 *   of every process they spawned, scanned in their `afterAll`.
 */
import type { KeyObject } from 'node:crypto';

/** Shorter values would match by chance; every real secret, token and key part is far longer. */
const MIN_SECRET_LENGTH = 16;

/** A PEM private key of any kind, whosever it is. */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** The JWK members that hold the private half of an RSA, EC or OKP key (RFC 7518 section 6). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/** Somewhere a secret must not be: text (a log line, an answer, a store row) or raw bytes (a store file). */
export type Place = { name: string; text: string } | { name: string; bytes: Buffer };

/** A secret found where it must not be. */
export interface Leak {
  kind: string;
  place: string;
}

/** What a test server or suite knows was secret, by kind (`client secret`, `access token`, ...). */
export interface SecretLedger {
  /** Records a secret or token in text form (too short values are ignored). */
  add(kind: string, value: string | undefined): void;
  /** Records secret bytes (a key), looked for in base64url, base64 and hex, and raw in files. */
  addBytes(kind: string, value: Uint8Array): void;
  /**
   * Records the private half of a key: its PKCS#8 DER (also as a PEM body broken over lines) and
   * its private JWK members (`d`, `p`, `q`, `dp`, `dq`, `qi`).
   */
  addPrivateKey(kind: string, key: KeyObject): void;
  /** Records `client_secret` and `access_token` of a JSON answer; answers the values it found. */
  addFromAnswer(body: unknown): string[];
  /** Every kind of recorded secret found in `places`, and where (each pair once). */
  findLeaks(places: readonly Place[]): Leak[];
  /** How many secrets are recorded. */
  readonly size: number;
}

interface Needle {
  kind: string;
  /** Text forms, each at least MIN_SECRET_LENGTH long. */
  forms: string[];
  /** Raw bytes looked for in files only (key material). */
  raw?: Buffer;
  /** A form looked for with line breaks removed from the text (a PEM body). */
  acrossLines?: string;
}

/** Creates an empty ledger; `onAdd` sees every text secret recorded (to share it with a wider scan). */
export function createSecretLedger(onAdd?: (kind: string, value: string) => void): SecretLedger {
  const needles = new Map<string, Needle>();
  const put = (key: string, needle: Needle) => {
    if (!needles.has(key)) needles.set(key, needle);
  };
  const ledger: SecretLedger = {
    add(kind, value) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
      if (needles.has(value)) return;
      const utf8 = Buffer.from(value);
      put(value, {
        kind,
        forms: longEnough([value, utf8.toString('base64'), utf8.toString('base64url'), utf8.toString('hex')]),
      });
      // A JWT's signature alone is as secret as the token: look for it on its own too.
      const parts = value.split('.');
      if (parts.length === 3 && parts[2] !== undefined)
        put(`${value}#sig`, { kind, forms: longEnough([parts[2]]) });
      onAdd?.(kind, value);
    },
    addBytes(kind, value) {
      const bytes = Buffer.from(value);
      if (bytes.length < MIN_SECRET_LENGTH) return;
      const key = `bytes:${bytes.toString('base64')}`;
      put(key, {
        kind,
        forms: longEnough([bytes.toString('base64url'), bytes.toString('base64'), bytes.toString('hex')]),
        raw: bytes,
      });
    },
    addPrivateKey(kind, key) {
      const der = key.export({ type: 'pkcs8', format: 'der' });
      const pemBody = der.toString('base64');
      put(`der:${pemBody}`, {
        kind,
        forms: longEnough([der.toString('base64url'), der.toString('hex')]),
        raw: der,
        acrossLines: pemBody,
      });
      const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
      for (const member of PRIVATE_JWK_MEMBERS) {
        const value = jwk[member];
        if (typeof value === 'string') ledger.addBytes(kind, Buffer.from(value, 'base64url'));
      }
    },
    addFromAnswer(body) {
      if (typeof body !== 'object' || body === null) return [];
      const record = body as Record<string, unknown>;
      const found: string[] = [];
      for (const [field, kind] of [
        ['client_secret', 'client secret'],
        ['access_token', 'access token'],
      ] as const) {
        const value = record[field];
        if (typeof value === 'string') {
          ledger.add(kind, value);
          found.push(value);
        }
      }
      return found;
    },
    findLeaks(places) {
      return findLeaks([...needles.values()], places);
    },
    get size() {
      return needles.size;
    },
  };
  return ledger;
}

/** `secret leak: <kind> in <place>; ...`, naming no value. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return `secret leak: ${leaks.map((l) => `${l.kind} in ${l.place}`).join('; ')}`;
}

/** Throws `describeLeaks(leaks)` when there is any. */
export function assertNoLeaks(leaks: readonly Leak[]): void {
  if (leaks.length > 0) throw new Error(describeLeaks(leaks));
}

/**
 * A request path fit to name a place: the query dropped and every segment long enough to be a
 * secret or token replaced, so that a leak report never repeats the leak.
 */
export function describePath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path
    .split('/')
    .map((segment) => (segment.length >= MIN_SECRET_LENGTH ? '…' : segment))
    .join('/');
}

function longEnough(forms: string[]): string[] {
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/*
 * The search: Rabin-Karp over a window of MIN_SECRET_LENGTH, so one pass over a place finds every
 * form of every secret whatever their number (a run records thousands of tokens): the hash of each
 * window is looked up among the hashes of the forms' first characters, and a hit is compared in full.
 */
const WINDOW = MIN_SECRET_LENGTH;
const BASE = 0x01000193;
const BASE_TOP = Array.from({ length: WINDOW - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);
const FILTER_BITS = 20;

interface Entry {
  kind: string;
  /** The form as text (text places) and as bytes (files). */
  text: string;
  bytes: Buffer;
}

interface Index {
  entries: Map<number, Entry[]>;
  /** A quick no for most windows, before the map. */
  filter: Uint8Array;
}

function createIndex(): Index {
  return { entries: new Map(), filter: new Uint8Array(1 << FILTER_BITS) };
}

function addEntry(index: Index, entry: Entry): void {
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + (entry.bytes[i] ?? 0)) | 0;
  index.filter[h >>> (32 - FILTER_BITS)] = 1;
  const list = index.entries.get(h);
  if (list) list.push(entry);
  else index.entries.set(h, [entry]);
}

function searchText(text: string, index: Index, hit: (entry: Entry) => void): void {
  if (text.length < WINDOW || index.entries.size === 0) return;
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  for (let i = 0; ; i++) {
    if (index.filter[h >>> (32 - FILTER_BITS)] === 1) {
      for (const entry of index.entries.get(h) ?? []) if (text.startsWith(entry.text, i)) hit(entry);
    }
    if (i + WINDOW >= text.length) return;
    h = (Math.imul(h - Math.imul(text.charCodeAt(i), BASE_TOP), BASE) + text.charCodeAt(i + WINDOW)) | 0;
  }
}

function searchBytes(bytes: Buffer, index: Index, hit: (entry: Entry) => void): void {
  if (bytes.length < WINDOW || index.entries.size === 0) return;
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + (bytes[i] ?? 0)) | 0;
  for (let i = 0; ; i++) {
    if (index.filter[h >>> (32 - FILTER_BITS)] === 1) {
      for (const entry of index.entries.get(h) ?? []) {
        const end = i + entry.bytes.length;
        if (end <= bytes.length && bytes.subarray(i, end).equals(entry.bytes)) hit(entry);
      }
    }
    if (i + WINDOW >= bytes.length) return;
    h = (Math.imul(h - Math.imul(bytes[i] ?? 0, BASE_TOP), BASE) + (bytes[i + WINDOW] ?? 0)) | 0;
  }
}

function findLeaks(needles: readonly Needle[], places: readonly Place[]): Leak[] {
  const found = new Map<string, Leak>();
  const note = (kind: string, place: string) => found.set(`${kind}\u0000${place}`, { kind, place });
  const inText = createIndex();
  const inFiles = createIndex();
  const acrossLines = createIndex();
  for (const needle of needles) {
    for (const form of needle.forms) {
      const entry = { kind: needle.kind, text: form, bytes: Buffer.from(form, 'latin1') };
      addEntry(inText, entry);
      addEntry(inFiles, entry);
    }
    if (needle.raw !== undefined) addEntry(inFiles, { kind: needle.kind, text: '', bytes: needle.raw });
    if (needle.acrossLines !== undefined) {
      const form = needle.acrossLines;
      addEntry(acrossLines, { kind: needle.kind, text: form, bytes: Buffer.from(form, 'latin1') });
    }
  }
  for (const place of places) {
    if ('text' in place) {
      searchText(place.text, inText, (entry) => note(entry.kind, place.name));
      // A PEM body is broken into 64-character lines, in a log line as escaped `\n`.
      if (acrossLines.entries.size > 0 && /[\r\n]|\\[rn]/.test(place.text)) {
        const flat = place.text.replace(/\\r|\\n|[\r\n]/g, '');
        searchText(flat, acrossLines, (entry) => note(entry.kind, place.name));
      }
      if (PEM_PRIVATE_KEY.test(place.text)) note('a PEM private key', place.name);
    } else {
      searchBytes(place.bytes, inFiles, (entry) => note(entry.kind, place.name));
      if (place.bytes.includes('PRIVATE KEY-----')) note('a PEM private key', place.name);
    }
  }
  return [...found.values()];
}
