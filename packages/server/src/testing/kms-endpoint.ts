/**
 * Test endpoint speaking the AWS KMS JSON protocol (`application/x-amz-json-1.1`,
 * `X-Amz-Target: TrentService.<Operation>`) for the calls gatehouse makes, `GenerateDataKey` and
 * `Decrypt`, so the real `@aws-sdk/client-kms` can be tested with no AWS account and no KMS
 * emulator package. Each KMS key is an AES-256-GCM key held here; a ciphertext blob names its key
 * and binds the encryption context as additional authenticated data, as KMS's do, and errors come
 * back in KMS's shape (`{"__type", "message"}`, HTTP 400). Requests must carry a SigV4
 * `Authorization` header scoped to the `kms` service (the signature itself is not checked).
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running KMS endpoint. */
export interface KmsEndpoint {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  readonly url: string;
  /** Creates an enabled symmetric key; returns its ARN. */
  createKey(): string;
  /** Disables a key (its calls then fail with DisabledException). */
  disableKey(arn: string): void;
  /** Every operation called so far, e.g. `['GenerateDataKey', 'Decrypt']`. */
  readonly calls: readonly string[];
  close(): Promise<void>;
}

interface KeyEntry {
  readonly arn: string;
  readonly material: Buffer;
  enabled: boolean;
}

class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const BLOB_VERSION = 1;

/** Starts the endpoint on 127.0.0.1, on a free port. */
export async function startKmsEndpoint(): Promise<KmsEndpoint> {
  const keys = new Map<string, KeyEntry>();
  const calls: string[] = [];

  const findKey = (keyId: unknown): KeyEntry => {
    if (typeof keyId !== 'string' || keyId === '')
      throw new KmsFault('ValidationException', 'KeyId is required');
    const entry = keys.get(keyId) ?? [...keys.values()].find((k) => k.arn.endsWith(`/${keyId}`));
    if (!entry) throw new KmsFault('NotFoundException', `Key '${keyId}' does not exist`);
    if (!entry.enabled) throw new KmsFault('DisabledException', `${entry.arn} is disabled.`);
    return entry;
  };
  const contextAad = (context: unknown): Buffer => {
    if (context === undefined) return Buffer.alloc(0);
    if (typeof context !== 'object' || context === null)
      throw new KmsFault('ValidationException', 'bad EncryptionContext');
    const sorted = Object.entries(context as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return Buffer.from(JSON.stringify(sorted));
  };

  const operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey(input) {
      const key = findKey(input.KeyId);
      const bytes =
        input.KeySpec === 'AES_256' ? 32 : input.KeySpec === 'AES_128' ? 16 : Number(input.NumberOfBytes);
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new KmsFault('ValidationException', 'KeySpec or NumberOfBytes is required');
      }
      const plaintext = randomBytes(bytes);
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: seal(key, plaintext, contextAad(input.EncryptionContext)).toString('base64'),
      };
    },
    Decrypt(input) {
      if (typeof input.CiphertextBlob !== 'string')
        throw new KmsFault('ValidationException', 'CiphertextBlob is required');
      const blob = Buffer.from(input.CiphertextBlob, 'base64');
      const arnLength = blob[1] ?? 0;
      if (blob[0] !== BLOB_VERSION || blob.length < 2 + arnLength + 28)
        throw new KmsFault('InvalidCiphertextException', '');
      const arn = blob.toString('utf8', 2, 2 + arnLength);
      const key = findKey(arn);
      if (input.KeyId !== undefined && findKey(input.KeyId) !== key) {
        throw new KmsFault(
          'IncorrectKeyException',
          'The key ID in the request does not identify a CMK that can perform this operation.',
        );
      }
      const body = blob.subarray(2 + arnLength);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.material, body.subarray(0, 12));
        decipher.setAAD(contextAad(input.EncryptionContext));
        decipher.setAuthTag(body.subarray(12, 28));
        const plaintext = Buffer.concat([decipher.update(body.subarray(28)), decipher.final()]);
        return {
          KeyId: key.arn,
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      } catch {
        throw new KmsFault('InvalidCiphertextException', '');
      }
    },
  };

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new KmsFault('UnknownOperationException', '');
      }
      if (
        !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/kms\/aws4_request/.test(
          String(req.headers.authorization),
        )
      ) {
        throw new KmsFault('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      const run = operations[operation];
      if (!run) throw new KmsFault('UnknownOperationException', '');
      calls.push(operation);
      answer(
        res,
        200,
        run(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>),
      );
    } catch (error) {
      const fault = error instanceof KmsFault ? error : new KmsFault('KMSInternalException', 'internal');
      answer(res, fault.type === 'KMSInternalException' ? 500 : 400, {
        __type: fault.type,
        message: fault.message,
      });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    createKey() {
      const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${randomUUID()}`;
      keys.set(arn, { arn, material: randomBytes(32), enabled: true });
      return arn;
    },
    disableKey(arn) {
      const entry = keys.get(arn);
      if (entry) entry.enabled = false;
    },
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function seal(key: KeyEntry, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const arn = Buffer.from(key.arn, 'utf8');
  return Buffer.concat([Buffer.from([BLOB_VERSION, arn.length]), arn, iv, cipher.getAuthTag(), ct]);
}
