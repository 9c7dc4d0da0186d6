import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretLedger, describeLeaks, describePath } from './secret-scan.ts';
import { deliversSecret, recordAnswers } from './secret-scan-answers.ts';
import {
  addSpawnedOutput,
  assertSpawnedOutputClean,
  recordSecret,
  watchSpawnedProcess,
} from './secret-scan-spawned.ts';

const SECRET = 'Zq3_very-secret-client-secret-value-0123456789';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('the secret ledger', () => {
  it('finds nothing when no recorded secret is in the logs or the store files', () => {
    const ledger = createSecretLedger();
    ledger.add('client secret', SECRET);
    const leaks = ledger.findLeaks([
      { name: 'the server log, line 1', text: '{"msg":"token issued","client_id":"abc"}' },
      { name: 'the store file gatehouse.db', bytes: Buffer.from('hashed only: 9f86d081884c7d659a2f') },
    ]);
    expect(leaks).toEqual([]);
  });

  it('names the kind and the place of a secret found in a log line, never the secret', () => {
    const ledger = createSecretLedger();
    ledger.addFromAnswer({ client_id: 'abc', client_secret: SECRET });
    const leaks = ledger.findLeaks([
      { name: 'the server log, line 1', text: '{"msg":"fine"}' },
      { name: 'the server log, line 2', text: `{"msg":"created","body":"${SECRET}"}` },
    ]);
    expect(leaks).toEqual([{ kind: 'client secret', place: 'the server log, line 2' }]);
    expect(describeLeaks(leaks)).toBe('secret leak: client secret in the server log, line 2');
  });

  it('finds a secret in base64 and in hex, and a token’s signature on its own', () => {
    const ledger = createSecretLedger();
    ledger.add('client secret', SECRET);
    ledger.add('access token', TOKEN);
    const leaks = ledger.findLeaks([
      { name: 'a', text: `x${Buffer.from(SECRET).toString('base64')}x` },
      { name: 'b', text: Buffer.from(SECRET).toString('hex') },
      { name: 'c', text: `sig=${TOKEN.split('.')[2]}` },
    ]);
    expect(leaks).toEqual([
      { kind: 'client secret', place: 'a' },
      { kind: 'client secret', place: 'b' },
      { kind: 'access token', place: 'c' },
    ]);
  });

  it('finds a token in a SQLite file or its write-ahead log', () => {
    const ledger = createSecretLedger();
    ledger.addFromAnswer({ access_token: TOKEN, token_type: 'Bearer' });
    const leaks = ledger.findLeaks([
      {
        name: 'the store file gatehouse.db-wal',
        bytes: Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(TOKEN)]),
      },
    ]);
    expect(leaks).toEqual([{ kind: 'access token', place: 'the store file gatehouse.db-wal' }]);
  });

  it('finds a private key by its JWK members, its PEM body across escaped lines, and its raw DER', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ledger = createSecretLedger();
    ledger.addPrivateKey('signing private key', privateKey);
    const jwk = privateKey.export({ format: 'jwk' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const body = pem.split('\n').slice(1, -2);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const leaks = ledger.findLeaks([
      { name: 'q', text: `{"q":"${jwk.q}"}` },
      { name: 'pem', text: JSON.stringify({ key: body.join('\n') }) },
      { name: 'file', bytes: Buffer.concat([Buffer.from('row'), der]) },
      { name: 'public', text: JSON.stringify({ n: jwk.n, e: jwk.e }) },
    ]);
    expect(leaks).toEqual([
      { kind: 'signing private key', place: 'q' },
      { kind: 'signing private key', place: 'pem' },
      { kind: 'signing private key', place: 'file' },
    ]);
  });

  it('flags any PEM private key, whosever it is', () => {
    const leaks = createSecretLedger().findLeaks([
      { name: 'log', text: '-----BEGIN EC PRIVATE KEY-----\\nMHc' },
    ]);
    expect(leaks).toEqual([{ kind: 'a PEM private key', place: 'log' }]);
  });

  it('ignores values too short to be a secret', () => {
    const ledger = createSecretLedger();
    ledger.add('client secret', 'abc');
    expect(ledger.findLeaks([{ name: 'log', text: 'abc' }])).toEqual([]);
  });

  it('names a request path without any segment long enough to be a secret', () => {
    expect(describePath(`/api/v2/clients/${SECRET}/rotate-secret?token=${TOKEN}`)).toBe(
      '/api/v2/clients/…/rotate-secret',
    );
  });
});

describe('the answers of a server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => server?.close(done) ?? done(undefined));
  });

  /** A server that hands out a token, then echoes it in a 400 body and a header. */
  async function listen(): Promise<string> {
    server = createServer((req, res) => {
      if (req.url === '/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `s=${SECRET}; HttpOnly` });
        res.end(JSON.stringify({ access_token: TOKEN, token_type: 'Bearer' }));
      } else if (req.url === '/echo') {
        res.statusCode = 400;
        res.write('{"error":"invalid_request","error_description":"');
        res.end(`${TOKEN}"}`);
      } else if (req.url === '/header') {
        res.setHeader('www-authenticate', `Bearer error="invalid_token", token="${TOKEN}"`);
        res.writeHead(401).end();
      } else res.writeHead(200, { 'content-type': 'text/plain' }).end('# gatehouse_metrics 1');
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  it('records the token an answer delivers, and finds it in an error body and a header', async () => {
    const url = await listen();
    const ledger = createSecretLedger();
    const answers = recordAnswers({ port: Number(new URL(url).port), ledger });
    await (await fetch(`${url}/oauth/token`, { method: 'POST' })).text();
    await (await fetch(`${url}/metrics`)).text();
    expect(ledger.findLeaks(answers.places())).toEqual([]);

    await (await fetch(`${url}/echo`)).text();
    await (await fetch(`${url}/header`)).text();
    answers.stop();
    await (await fetch(`${url}/echo?after=stop`)).text();
    expect(answers.count).toBe(4);
    expect(ledger.findLeaks(answers.places())).toEqual([
      { kind: 'access token', place: 'the answer to GET /echo (400)' },
      { kind: 'access token', place: 'the answer to GET /header (401)' },
    ]);
    // The session cookie it set is a secret too.
    expect(ledger.findLeaks([{ name: 'log', text: SECRET }])).toEqual([
      { kind: 'console session cookie', place: 'log' },
    ]);
  });

  it('takes only successful token, client and rotate-secret answers as deliveries', () => {
    expect(deliversSecret('POST', '/oauth/token', 200)).toBe(true);
    expect(deliversSecret('POST', '/api/v2/clients', 201)).toBe(true);
    expect(deliversSecret('POST', '/api/v2/clients/abc/rotate-secret', 200)).toBe(true);
    expect(deliversSecret('POST', '/oauth/token', 400)).toBe(false);
    expect(deliversSecret('GET', '/api/v2/clients', 200)).toBe(false);
    expect(deliversSecret('POST', '/oauth/introspect', 200)).toBe(false);
  });
});

describe('the output of spawned processes', () => {
  const printing = (text: string) =>
    spawn(process.execPath, ['-e', 'console.log(process.argv[1]); console.error("done")', text], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exit = (child: ReturnType<typeof printing>) => new Promise((done) => child.once('close', done));

  it('finds a recorded secret in what a spawned process printed, naming the process and stream', async () => {
    recordSecret('client secret', SECRET);
    const child = printing(`leaked ${SECRET}`);
    watchSpawnedProcess('a printing bin', child);
    await exit(child);
    const failure = assertSpawnedOutputClean();
    await expect(failure).rejects.toThrow('secret leak: client secret in the stdout of a printing bin');
    await expect(failure).rejects.not.toThrow(SECRET);
  });

  it('lets a process show what it displays once, and scans the log files added', async () => {
    recordSecret('client secret', SECRET);
    const child = printing(`client_secret ${SECRET}`);
    watchSpawnedProcess('gatehouse clients create', child).allow(SECRET);
    await exit(child);
    await expect(assertSpawnedOutputClean()).resolves.toBeUndefined();

    addSpawnedOutput('the nginx access log', `GET /contacts?access_token=${SECRET}`);
    await expect(assertSpawnedOutputClean()).rejects.toThrow('client secret in the nginx access log');
  });
});
