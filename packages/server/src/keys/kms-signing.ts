/**
 * The keys a server runs with, from its configuration: the key-encryption key (local, or wrapped
 * by AWS KMS), and the key ring and JWT signer: the local key ring (keys sealed by the KEK in the
 * store) and the default signer, or AWS KMS asymmetric keys (`kms-key-ring.ts`) with the
 * `kms:Sign` signer (`kms-signer.ts`). The one place the runtimes choose.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import type { SigningConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import type { JwtSigner } from '../token/jwt-signer.ts';
import { type Kek, loadKek } from './kek.ts';
import { keyPublishLeadMs } from './key-maintenance.ts';
import { createKeyRing, type KeyRing } from './key-ring.ts';
import { openKmsKek } from './kms-kek.ts';
import { openKmsKeyRing } from './kms-key-ring.ts';
import { createKmsJwtSigner } from './kms-signer.ts';

/** Options of `openConfiguredKek`. */
export interface OpenConfiguredKekOptions {
  dataDir: string;
  /** `GATEHOUSE_KEK`. */
  kekEnv: string | undefined;
  /** `GATEHOUSE_KMS_KEY_ID` with `GATEHOUSE_KEK_WRAPPED`. */
  kmsKek: { readonly keyId: string; readonly wrapped: string } | undefined;
  /** A KMS client; default one configured by the AWS SDK's own environment. */
  kmsClient?: KMSClient;
}

/**
 * The key-encryption key a server runs with: unwrapped by AWS KMS (`kms:Decrypt`, nothing written
 * to the data dir) when configured so, else `GATEHOUSE_KEK` or the data dir's file (`kek.ts`).
 */
export async function openConfiguredKek(opts: OpenConfiguredKekOptions): Promise<Kek> {
  if (opts.kmsKek === undefined) return loadKek({ dataDir: opts.dataDir, kekEnv: opts.kekEnv });
  return openKmsKek({
    client: opts.kmsClient ?? new KMSClient({ maxAttempts: 3 }),
    keyId: opts.kmsKek.keyId,
    wrappedKek: opts.kmsKek.wrapped,
  });
}

/** What `openSigning` gives: the key ring, and a JWT signer when the default one cannot sign with it. */
export interface OpenedSigning {
  keyRing: KeyRing;
  /** For `createApp`'s `jwtSigner`; undefined: the app's default (local keys). */
  jwtSigner: JwtSigner | undefined;
}

/** Options of `openSigning`. */
export interface OpenSigningOptions {
  signing: SigningConfig;
  store: Store;
  kek: Kek;
  logger: Logger;
  /**
   * GATEHOUSE_SYNC_SECONDS in ms: how often instances re-read the keys, which sets how long a local
   * key is published before it signs (`keyPublishLeadMs`).
   */
  syncIntervalMs: number;
  /** A KMS client; default one configured by the AWS SDK's own environment (AWS_REGION, AWS_ENDPOINT_URL_KMS, credentials). */
  kmsClient?: KMSClient;
}

/**
 * Opens the configured signing. With KMS, every key's public half is read and checked now, so a
 * wrong key id, key type or permission stops the start with a message naming the key.
 */
export async function openSigning(opts: OpenSigningOptions): Promise<OpenedSigning> {
  if (opts.signing.kind === 'local') {
    const keyRing = createKeyRing({
      store: opts.store,
      kek: opts.kek,
      publishLeadMs: keyPublishLeadMs(opts.syncIntervalMs),
    });
    return { keyRing, jwtSigner: undefined };
  }
  const client = opts.kmsClient ?? new KMSClient({ maxAttempts: 3 });
  const keyRing = await openKmsKeyRing({
    client,
    signingKeys: opts.signing.signingKeys,
    publishedKeys: opts.signing.publishedKeys,
  });
  return { keyRing, jwtSigner: createKmsJwtSigner('at+jwt', { client, logger: opts.logger }) };
}
