/**
 * Test endpoint speaking the AWS KMS JSON protocol (`application/x-amz-json-1.1`,
 * `X-Amz-Target: TrentService.<Operation>`) for the calls gatehouse makes, `GenerateDataKey` and
 * `Decrypt` (envelope KEK), `GetPublicKey` and `Sign` (asymmetric signing keys), plus `CreateKey`,
 * so the real `@aws-sdk/client-kms` can be tested with no AWS account and no KMS emulator package.
 * A symmetric key is an AES-256-GCM key held here; a ciphertext blob names its key and binds the
 * encryption context as additional authenticated data, as KMS's do. An asymmetric key
 * (`RSA_2048/3072/4096`, `ECC_NIST_P256`, usage `SIGN_VERIFY`) is a node:crypto key pair; `Sign`
 * takes a RAW message (what gatehouse sends) and answers as KMS does: RSA signatures as they are,
 * ECDSA ones in DER. Errors come back in KMS's shape (`{"__type", "message"}`, HTTP 400).
 * Requests must carry a SigV4 `Authorization` header scoped to the `kms` service (the signature
 * itself is not checked).
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running KMS endpoint. */
export interface KmsEndpoint {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  readonly url: string;
  /** Creates an enabled symmetric key; returns its ARN. */
  createKey(): string;
  /** Creates an enabled asymmetric SIGN_VERIFY key (as `CreateKey` does); returns its ARN. */
  createSigningKey(spec: SigningKeySpec): string;
  /** Points `alias/<name>` at a key (creates or re-points the alias). */
  createAlias(aliasName: string, arn: string): void;
  /** Disables a key (its calls then fail with DisabledException). */
  disableKey(arn: string): void;
  /** Every operation called so far, e.g. `['GenerateDataKey', 'Decrypt']`. */
  readonly calls: readonly string[];
  close(): Promise<void>;
}

/** Asymmetric key specs the endpoint makes. */
export type SigningKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'ECC_NIST_P256';

interface KeyEntry {
  readonly arn: string;
  /** AES-256 key of a symmetric key; empty for an asymmetric one. */
  readonly material: Buffer;
  readonly spec: 'SYMMETRIC_DEFAULT' | SigningKeySpec;
  readonly pair?: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
  enabled: boolean;
}

const RSA_SIGNING = ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'];
const SIGNING_ALGORITHMS: Record<SigningKeySpec, readonly string[]> = {
  RSA_2048: RSA_SIGNING,
  RSA_3072: RSA_SIGNING,
  RSA_4096: RSA_SIGNING,
  ECC_NIST_P256: ['ECDSA_SHA_256'],
};
const MAX_MESSAGE_BYTES = 4096;

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
  const aliases = new Map<string, string>();
  const calls: string[] = [];

  const findKey = (keyId: unknown): KeyEntry => {
    if (typeof keyId !== 'string' || keyId === '')
      throw new KmsFault('ValidationException', 'KeyId is required');
    const alias = /^(?:arn:aws:kms:[a-z0-9-]+:\d{12}:)?(alias\/.+)$/.exec(keyId)?.[1];
    const arn = alias !== undefined ? aliases.get(alias) : keyId;
    const entry =
      arn === undefined
        ? undefined
        : (keys.get(arn) ?? [...keys.values()].find((k) => k.arn.endsWith(`/${arn}`)));
    if (!entry) throw new KmsFault('NotFoundException', `Key '${keyId}' does not exist`);
    if (!entry.enabled) throw new KmsFault('DisabledException', `${entry.arn} is disabled.`);
    return entry;
  };
  const symmetricKey = (keyId: unknown): KeyEntry => {
    const entry = findKey(keyId);
    if (entry.spec !== 'SYMMETRIC_DEFAULT')
      throw new KmsFault(
        'InvalidKeyUsageException',
        `${entry.arn} key usage is SIGN_VERIFY which is not valid`,
      );
    return entry;
  };
  const signingKey = (
    keyId: unknown,
    // KMS answers GetPublicKey on a symmetric key with UnsupportedOperationException, Sign with InvalidKeyUsageException.
    fault = 'InvalidKeyUsageException',
  ): KeyEntry & { pair: NonNullable<KeyEntry['pair']> } => {
    const entry = findKey(keyId);
    if (!entry.pair)
      throw new KmsFault(fault, `${entry.arn} key usage is ENCRYPT_DECRYPT which is not valid`);
    return entry as KeyEntry & { pair: NonNullable<KeyEntry['pair']> };
  };
  const makeKey = (spec: KeyEntry['spec']): KeyEntry => {
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${randomUUID()}`;
    const entry: KeyEntry =
      spec === 'SYMMETRIC_DEFAULT'
        ? { arn, material: randomBytes(32), spec, enabled: true }
        : {
            arn,
            material: Buffer.alloc(0),
            spec,
            pair:
              spec === 'ECC_NIST_P256'
                ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
                : generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(4)) }),
            enabled: true,
          };
    keys.set(arn, entry);
    return entry;
  };
  const metadata = (key: KeyEntry): Record<string, unknown> => ({
    AWSAccountId: ACCOUNT,
    KeyId: key.arn.slice(key.arn.lastIndexOf('/') + 1),
    Arn: key.arn,
    Enabled: key.enabled,
    KeyState: key.enabled ? 'Enabled' : 'Disabled',
    KeySpec: key.spec,
    KeyUsage: key.pair ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT',
    ...(key.pair ? { SigningAlgorithms: SIGNING_ALGORITHMS[key.spec as SigningKeySpec] } : {}),
  });
  const contextAad = (context: unknown): Buffer => {
    if (context === undefined) return Buffer.alloc(0);
    if (typeof context !== 'object' || context === null)
      throw new KmsFault('ValidationException', 'bad EncryptionContext');
    const sorted = Object.entries(context as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return Buffer.from(JSON.stringify(sorted));
  };

  const operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    CreateKey(input) {
      const spec = input.KeySpec ?? 'SYMMETRIC_DEFAULT';
      const usage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
      if (spec === 'SYMMETRIC_DEFAULT' && usage === 'ENCRYPT_DECRYPT')
        return { KeyMetadata: metadata(makeKey(spec)) };
      if (typeof spec === 'string' && spec in SIGNING_ALGORITHMS && usage === 'SIGN_VERIFY') {
        return { KeyMetadata: metadata(makeKey(spec as SigningKeySpec)) };
      }
      throw new KmsFault(
        'ValidationException',
        `KeySpec ${String(spec)} with KeyUsage ${String(usage)} is not supported here`,
      );
    },
    GetPublicKey(input) {
      const key = signingKey(input.KeyId, 'UnsupportedOperationException');
      return {
        KeyId: key.arn,
        PublicKey: key.pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        KeySpec: key.spec,
        CustomerMasterKeySpec: key.spec,
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: SIGNING_ALGORITHMS[key.spec as SigningKeySpec],
      };
    },
    Sign(input) {
      const key = signingKey(input.KeyId);
      const algorithm = input.SigningAlgorithm;
      if (
        typeof algorithm !== 'string' ||
        !SIGNING_ALGORITHMS[key.spec as SigningKeySpec].includes(algorithm)
      ) {
        throw new KmsFault(
          'InvalidKeyUsageException',
          `Algorithm ${String(algorithm)} is incompatible with key spec ${key.spec}.`,
        );
      }
      if ((input.MessageType ?? 'RAW') !== 'RAW') {
        throw new KmsFault('ValidationException', 'this endpoint signs RAW messages only');
      }
      if (typeof input.Message !== 'string') throw new KmsFault('ValidationException', 'Message is required');
      const message = Buffer.from(input.Message, 'base64');
      if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
        throw new KmsFault('ValidationException', `Message must be 1 to ${MAX_MESSAGE_BYTES} bytes`);
      }
      const signature =
        algorithm === 'RSASSA_PSS_SHA_256'
          ? sign('sha256', message, {
              key: key.pair.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 32,
            })
          : // ECDSA in DER (KMS's encoding), PKCS#1 v1.5 as is.
            sign('sha256', message, key.pair.privateKey);
      return { KeyId: key.arn, Signature: signature.toString('base64'), SigningAlgorithm: algorithm };
    },
    GenerateDataKey(input) {
      const key = symmetricKey(input.KeyId);
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
      const key = symmetricKey(arn);
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
    createKey: () => makeKey('SYMMETRIC_DEFAULT').arn,
    createSigningKey: (spec) => makeKey(spec).arn,
    createAlias(aliasName, arn) {
      if (!keys.has(arn)) throw new Error(`no key ${arn}`);
      aliases.set(aliasName.startsWith('alias/') ? aliasName : `alias/${aliasName}`, arn);
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
