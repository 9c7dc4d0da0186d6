/**
 * Every answer a test server gives, kept for its secret scan at `close()`: error bodies, metrics
 * pages, JWKS, console pages, headers (issue 11). Answers are seen through Node's
 * `http.server.request.start` diagnostics channel, filtered by the server's port, so the server
 * itself has no test hook.
 *
 * The answers whose job is to deliver a secret (`POST /oauth/token`, `POST /api/v2/clients`,
 * `POST /api/v2/clients/{id}/rotate-secret`, with a 2xx status; the console shows a new secret
 * from the same Management API answer) are the source of the needles: their `access_token` and
 * `client_secret` are recorded in the ledger, and the rest of such an answer is scanned like any
 * other. A `Set-Cookie` value (the console session) is recorded as a secret too.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describePath, type Leak, type Place, type SecretLedger } from './secret-scan.ts';

const CHANNEL = 'http.server.request.start';

/** Body bytes kept before the finished answers are scanned early and dropped (memory stays bounded). */
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

const DELIVERS_SECRET = [
  /\/oauth\/token$/,
  /\/api\/v2\/clients$/,
  /\/api\/v2\/clients\/[^/]+\/rotate-secret$/,
];

/** Whether an answer's job is to hand out a secret or token (so it may hold the one it hands out). */
export function deliversSecret(method: string, url: string, status: number): boolean {
  if (method !== 'POST' || status < 200 || status > 299) return false;
  const path = url.split('?')[0] ?? '';
  return DELIVERS_SECRET.some((route) => route.test(path));
}

/** The answers of one server, as places for the scan. */
export interface AnswerRecorder {
  /** Every answer kept so far (finished or not), with any secret it delivered cut out. */
  places(): Place[];
  /** Leaks found when kept answers outgrew the memory bound and were scanned early. */
  readonly earlyLeaks: readonly Leak[];
  /** How many answers were seen. */
  readonly count: number;
  /** Stops recording. */
  stop(): void;
}

interface Answer {
  method: string;
  url: string;
  response: ServerResponse;
  chunks: Buffer[];
  headers: unknown[];
  delivered: string[];
  finished: boolean;
}

/** Starts recording the answers of the server listening on `port` into places for `ledger`'s scan. */
export function recordAnswers({ port, ledger }: { port: number; ledger: SecretLedger }): AnswerRecorder {
  let answers: Answer[] = [];
  let keptBytes = 0;
  let count = 0;
  const earlyLeaks: Leak[] = [];

  const finish = (answer: Answer) => {
    answer.finished = true;
    for (const [name, value] of headerEntries(answer)) {
      if (name === 'set-cookie') ledger.add('console session cookie', /^[^=]*=([^;]*)/.exec(value)?.[1]);
    }
    if (deliversSecret(answer.method, answer.url, answer.response.statusCode)) {
      try {
        answer.delivered = ledger.addFromAnswer(JSON.parse(Buffer.concat(answer.chunks).toString('utf8')));
      } catch {
        // Not JSON: nothing delivered, scanned as it is.
      }
    }
    if (keptBytes > MAX_KEPT_BYTES) {
      const done = answers.filter((a) => a.finished);
      earlyLeaks.push(...ledger.findLeaks(done.map(toPlace)));
      answers = answers.filter((a) => !a.finished);
      keptBytes = answers.reduce((n, a) => n + a.chunks.reduce((m, c) => m + c.length, 0), 0);
    }
  };

  const onRequest = (message: unknown) => {
    const { request, response, socket } = (message ?? {}) as Record<string, unknown>;
    if (!(request instanceof IncomingMessage) || !(response instanceof ServerResponse)) return;
    if (!(socket instanceof Socket) || socket.localPort !== port) return;
    count++;
    const answer: Answer = {
      method: request.method ?? '?',
      url: request.url ?? '/',
      response,
      chunks: [],
      headers: [],
      delivered: [],
      finished: false,
    };
    answers.push(answer);
    const keep = (chunk: unknown, encoding: unknown) => {
      let bytes: Buffer | undefined;
      if (typeof chunk === 'string')
        bytes = Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      else if (chunk instanceof Uint8Array) bytes = Buffer.from(chunk);
      if (bytes === undefined) return;
      answer.chunks.push(bytes);
      keptBytes += bytes.length;
    };
    // This response object only: its own methods, wrapped to copy what they send.
    const { write, end, writeHead } = response;
    response.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return Reflect.apply(write, response, args);
    }) as typeof response.write;
    response.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return Reflect.apply(end, response, args);
    }) as typeof response.end;
    response.writeHead = ((...args: unknown[]) => {
      answer.headers.push(...args.slice(1).filter((a) => typeof a === 'object' && a !== null));
      return Reflect.apply(writeHead, response, args);
    }) as typeof response.writeHead;
    response.once('finish', () => finish(answer));
  };

  subscribe(CHANNEL, onRequest);
  return {
    places: () => answers.map(toPlace),
    earlyLeaks,
    get count() {
      return count;
    },
    stop: () => {
      unsubscribe(CHANNEL, onRequest);
    },
  };
}

function toPlace(answer: Answer): Place {
  let body = Buffer.concat(answer.chunks).toString('utf8');
  for (const value of answer.delivered) body = body.split(value).join('');
  const headers = headerEntries(answer)
    .filter(([name]) => name !== 'set-cookie')
    .map(([name, value]) => `${name}: ${value}`);
  const status = answer.finished ? String(answer.response.statusCode) : 'unfinished';
  return {
    name: `the answer to ${answer.method} ${describePath(answer.url)} (${status})`,
    text: `${headers.join('\n')}\n\n${body}`,
  };
}

/** The answer's headers as sent: those set on the response and those given to `writeHead`. */
function headerEntries(answer: Answer): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const add = (name: unknown, value: unknown) => {
    for (const v of [value].flat()) entries.push([String(name).toLowerCase(), String(v)]);
  };
  const fromObject = (headers: OutgoingHttpHeaders | object) => {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  };
  fromObject(answer.response.getHeaders());
  for (const given of answer.headers) {
    if (!Array.isArray(given)) fromObject(given as object);
    else if (given.every((h) => Array.isArray(h))) for (const [name, value] of given) add(name, value);
    else for (let i = 0; i + 1 < given.length; i += 2) add(given[i], given[i + 1]);
  }
  return entries;
}
