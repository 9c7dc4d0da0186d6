/**
 * Shared pieces of the fuzz suite: the request shape, generators for hostile values (fast-check
 * arbitraries, and mutations of valid requests), the sender (real HTTP with fetch), and the checks
 * every answer must pass whatever was sent:
 * - never a 5xx;
 * - no stack trace, source path or module path, and none of the secrets the test made;
 * - the security headers;
 * - on an error, the documented error shape of the surface the path belongs to.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { expect } from 'vitest';

/** One request as the fuzz sends it. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
}

/** One answer, read whole. */
export interface FuzzAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** Error shapes by surface (docs/server.md, services/contacts/README.md, DESIGN.md). */
export type Surface = 'oauth' | 'auth0' | 'plain' | 'problem' | 'bearer' | 'any';

/** Seed of every property (reproducible runs; change it to explore further). */
export const SEED = 20261125;

const STACK =
  /(\n\s+at\s|\bat\s+\S+\s+\([^)]*:\d+:\d+\)|node_modules|\/src\/|\/work\/|\.ts:\d+|\.m?js:\d+|-----BEGIN)/;

// --- generators -------------------------------------------------------------------------------

/** Values that have broken parsers before: empty, control characters, traversal, injection, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '%00',
    '%',
    '%zz',
    '..',
    '../../etc/passwd',
    '{',
    '[]',
    'null',
    'true',
    '-1',
    '1e309',
    'NaN',
    '0x10',
    '💥',
    '\ud800',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    'a'.repeat(700),
    'a'.repeat(20_000),
  ),
);

/** A query string carrying `value` (lone surrogates replaced, as a browser would). */
export const queryOf = (value: string): string =>
  `?${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'))}=1`;

/** Printable ASCII (what fetch accepts in a header value), including the empty string. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', ' ', 'null', 'a'.repeat(3000), '=?utf-8?', '"', '\\'),
);

/** Content types, valid and not. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    'application/x-www-form-urlencoded',
    'application/json',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/merge-patch+json',
    '*/*',
    '',
  ),
  headerValue,
);

/** JSON documents of every shape, some deep, some with prototype keys. */
export const nastyJson: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
    '{"a":1,"a":2}',
    '"just a string"',
    '1',
    'null',
    '{',
    '\ufeff{}',
  ),
);

/** Raw bytes, including invalid UTF-8. */
export const nastyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constant(new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28])),
);

/** A form body derived from `valid` by one mutation (drop, replace, duplicate, add, truncate). */
export function mutatedForm(valid: Record<string, string>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  const encode = (pairs: Array<[string, string]>) => new URLSearchParams(pairs).toString();
  const base = Object.entries(valid);
  return fc.oneof(
    fc.constantFrom(...keys).map((k) => encode(base.filter(([n]) => n !== k))),
    fc
      .tuple(fc.constantFrom(...keys), nastyString)
      .map(([k, v]) => encode(base.map(([n, old]) => [n, n === k ? v : old]))),
    fc.constantFrom(...keys).map((k) => `${encode(base)}&${encode([[k, `${valid[k]!}x`]])}`),
    fc.tuple(nastyString, nastyString).map(([k, v]) => encode([...base, [k, v]])),
    fc.nat().map((n) => encode(base).slice(0, n % (encode(base).length + 1))),
    fc.tuple(fc.nat(), fc.constantFrom('%', '&', '=', '+', '%C3', '%FF', '\u0000')).map(([n, ch]) => {
      const s = encode(base);
      const at = n % (s.length + 1);
      return s.slice(0, at) + ch + s.slice(at);
    }),
  );
}

/** A JSON body derived from `valid` by one mutation (drop, retype, replace, add). */
export function mutatedJson(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  const weird = fc.oneof(
    nastyString,
    fc.constantFrom(null, true, 0, -1, 1e308, [], {}, [1, 2], { $gt: '' }),
    fc.array(nastyString, { maxLength: 300 }),
  );
  return fc.oneof(
    fc.constantFrom(...keys).map((k) => {
      const { [k]: _, ...rest } = valid;
      return JSON.stringify(rest);
    }),
    fc.tuple(fc.constantFrom(...keys), weird).map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
    fc.tuple(nastyString, weird).map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
  );
}

/** A JWT derived from a valid one: alg none, alg switched, kid changed, claims changed, bytes flipped. */
export function mutatedJwt(valid: string): fc.Arbitrary<string> {
  const [h, p, s] = valid.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return fc.oneof(
    fc.constantFrom(
      `${enc({ ...header, alg: 'none' })}.${p}.`,
      `${enc({ ...header, alg: 'HS256' })}.${p}.${s}`,
      `${enc({ ...header, kid: 'unknown' })}.${p}.${s}`,
      `${enc({ ...header, typ: 'JWT' })}.${p}.${s}`,
      `${enc({ ...header, crit: ['exp'] })}.${p}.${s}`,
      `${enc({ ...header, jku: 'http://127.0.0.1:1/jwks' })}.${p}.${s}`,
      `${h}.${enc({ ...payload, exp: 1 })}.${s}`,
      `${h}.${enc({ ...payload, aud: 'https://other.example/' })}.${s}`,
      `${h}.${enc({ ...payload, scope: 'read:contacts write:contacts admin' })}.${s}`,
      `${h}.${p}`,
      `${h}.${p}.${s}.x`,
      `${h}..${s}`,
      valid.toUpperCase(),
    ),
    fc.nat().map((n) => {
      const i = n % valid.length;
      const c = valid[i] === 'A' ? 'B' : 'A';
      return valid.slice(0, i) + c + valid.slice(i + 1);
    }),
    nastyString.filter((v) => /^[\x21-\x7e]*$/.test(v)),
  );
}

/** `Authorization` header values around a valid credential. */
export function authorization(validBearer: string, validBasic?: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${validBearer}`),
    mutatedJwt(validBearer).map((t) => `Bearer ${t}`),
    ...(validBasic ? [fc.constant(validBasic)] : []),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic', 'Basic !!!', 'Digest x', 'bearer  x', 'Bearer a b'),
    headerValue.map((v) => `Basic ${Buffer.from(v).toString('base64')}`),
    headerValue,
  );
}

// --- sending and checking ---------------------------------------------------------------------

/** Sends a request; undefined when fetch itself refuses it (e.g. a body on GET), which never reaches the server. */
export async function send(base: string, req: FuzzRequest): Promise<FuzzAnswer | undefined> {
  const bodyAllowed = req.method !== 'GET' && req.method !== 'HEAD';
  let res: Response;
  try {
    res = await fetch(`${base}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(bodyAllowed && req.body !== undefined ? { body: req.body } : {}),
      redirect: 'manual',
    });
  } catch (err) {
    if (err instanceof TypeError && !/fetch failed/.test(err.message)) return undefined;
    throw new Error(`the server did not answer ${req.method} ${req.path.slice(0, 100)}: ${String(err)}`);
  }
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Options of `checkAnswer`. */
export interface CheckOptions {
  surface: Surface;
  /** Strings that must never appear in an answer (secrets, private keys). */
  secrets: readonly string[];
  /** Strings that must never appear in an error answer (e.g. a token that is fine in a 200). */
  errorSecrets?: readonly string[];
  /** Accept a 503 that carries `Retry-After` (a documented state, not a failure). */
  accept503?: boolean;
}

function describeRequest(req: FuzzRequest): string {
  const body =
    typeof req.body === 'string' ? req.body.slice(0, 200) : req.body ? `<${req.body.length} bytes>` : '';
  return `${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 300)} ${body}`;
}

/** The checks every answer must pass. */
export function checkAnswer(req: FuzzRequest, res: FuzzAnswer, opts: CheckOptions): void {
  const what = describeRequest(req);
  if (opts.accept503 === true && res.status === 503) {
    // A deliberate, documented 503 (e.g. the console's files not built yet) must say when to retry.
    expect(res.headers.get('retry-after'), what).toMatch(/^\d+$/);
  } else {
    expect(res.status, what).toBeLessThan(500);
  }
  const all = `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${res.text}`;
  expect(STACK.test(res.text), `${what}\n${res.text.slice(0, 500)}`).toBe(false);
  for (const secret of opts.secrets) expect(all.includes(secret), `${what} leaks a secret`).toBe(false);
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('x-powered-by'), what).toBeNull();
  if (res.status < 400) return;
  for (const secret of opts.errorSecrets ?? [])
    expect(all.includes(secret), `${what} echoes a secret`).toBe(false);
  if (req.method === 'HEAD' || res.text === '') {
    // Node's own refusals (431, 408) and HEAD carry no body.
    expect([400, 404, 405, 408, 413, 431].includes(res.status) || req.method === 'HEAD', what).toBe(true);
    return;
  }
  // Node's own refusals (431 headers too large, 408 too slow) come before routing: one JSON shape per service.
  assertErrorShape(res.status === 431 || res.status === 408 ? 'any' : opts.surface, res, what);
}

function assertErrorShape(surface: Surface, res: FuzzAnswer, what: string): void {
  if (surface === 'any') return;
  const type = res.headers.get('content-type') ?? '';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: error answer ${res.status} is not JSON: ${res.text.slice(0, 200)}`);
  }
  expect(typeof body === 'object' && body !== null && !Array.isArray(body), what).toBe(true);
  const keys = Object.keys(body).sort();
  const str = (k: string) => typeof body[k] === 'string';
  switch (surface) {
    case 'oauth':
      expect(type, what).toMatch(/^application\/json/);
      expect(str('error') && /^[a-z_]+$/.test(body.error as string), `${what}: ${res.text}`).toBe(true);
      expect(
        keys.every((k) => k === 'error' || k === 'error_description'),
        `${what}: ${res.text}`,
      ).toBe(true);
      break;
    case 'auth0':
    case 'plain':
      expect(type, what).toMatch(/^application\/json/);
      expect(body.statusCode, `${what}: ${res.text}`).toBe(res.status);
      expect(str('error') && str('message'), `${what}: ${res.text}`).toBe(true);
      if (surface === 'auth0') expect(str('errorCode'), `${what}: ${res.text}`).toBe(true);
      break;
    case 'problem':
      if (type.startsWith('application/problem+json')) {
        expect(body.status, `${what}: ${res.text}`).toBe(res.status);
        expect(str('type') && str('title') && str('detail'), `${what}: ${res.text}`).toBe(true);
      } else {
        assertBearerShape(res, body, what);
      }
      break;
    case 'bearer':
      assertBearerShape(res, body, what);
      break;
  }
}

/** RFC 6750 3.1 answers of the authorizer: a challenge on 401/403, `error_description` always. */
function assertBearerShape(res: FuzzAnswer, body: Record<string, unknown>, what: string): void {
  expect(res.headers.get('content-type') ?? '', what).toMatch(/^application\/json/);
  expect(typeof body.error_description, `${what}: ${res.text}`).toBe('string');
  if (res.status === 401 || res.status === 403) {
    expect(res.headers.get('www-authenticate') ?? '', what).toMatch(/^Bearer\b/);
  }
  if (body.error !== undefined) {
    expect(['invalid_request', 'invalid_token', 'insufficient_scope'], `${what}: ${res.text}`).toContain(
      body.error,
    );
  }
}

/** Reads a digest of a SQLite store; `close` releases the connection. */
export interface SqliteDigest {
  (): string;
  /** SQLite's `data_version`: changes when another connection commits. */
  version(): number;
  close(): void;
}

/**
 * A digest of every table of a SQLite file except `skip` ones (counters and logs, which refused
 * requests may legitimately write), read on a read-only connection of its own (WAL: each read
 * sees the last commit).
 */
export function createSqliteDigest(
  file: string,
  skip: RegExp = /^(auth_failures|.*audit.*|token_usage|sqlite_.*)$/,
): SqliteDigest {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name)
    .filter((n) => !skip.test(n))
    .map((name) => ({ name, select: db.prepare(`SELECT * FROM "${name}"`).raw() }));
  const digest = (): string => {
    const hash = createHash('sha256');
    db.transaction(() => {
      for (const t of tables) {
        hash.update(`#${t.name}\n`);
        for (const row of t.select.all()) hash.update(`${JSON.stringify(row)}\n`);
      }
    })();
    return hash.digest('hex');
  };
  return Object.assign(digest, {
    close: () => db.close(),
    version: () => db.pragma('data_version', { simple: true }) as number,
  });
}

/** Watches a SQLite store across requests: digests it only when another connection committed. */
export interface StoreWatch {
  /** Before a request: takes a fresh digest if the store changed since the last one. */
  prepare(): void;
  /** After a request: when `refused`, the store (outside counters and logs) must be as before. */
  check(refused: boolean, what: string): void;
  close(): void;
}

/** Creates a `StoreWatch` on the SQLite file `file`. */
export function createStoreWatch(file: string): StoreWatch {
  const digest = createSqliteDigest(file);
  let version = digest.version();
  let value = digest();
  return {
    prepare() {
      const v = digest.version();
      if (v !== version) {
        version = v;
        value = digest();
      }
    },
    check(refused, what) {
      const v = digest.version();
      if (v === version) return;
      const after = digest();
      if (refused) expect(after, `${what} changed the store and was refused`).toBe(value);
      version = v;
      value = after;
    },
    close: () => digest.close(),
  };
}

/** Runs `property` `numRuns` times with the suite's seed; answers how many requests reached the server. */
export async function fuzz<T>(
  arb: fc.Arbitrary<T>,
  numRuns: number,
  property: (value: T) => Promise<boolean>,
): Promise<number> {
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      if (await property(value)) sent++;
    }),
    {
      numRuns,
      seed: SEED,
      endOnFailure: true,
      // The default report prints the whole counterexample (bodies of 20 kB); the assertion message is enough.
      reporter: (details) => {
        if (!details.failed) return;
        const cause =
          details.errorInstance instanceof Error
            ? details.errorInstance.message
            : String(details.errorInstance);
        throw new Error(
          `fuzz failed (seed ${SEED}, path ${details.counterexamplePath}): ${cause.slice(0, 3000)}`,
        );
      },
    },
  );
  return sent;
}
