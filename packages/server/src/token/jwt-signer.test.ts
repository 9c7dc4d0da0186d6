import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningAlg } from '../store/store.ts';
import { createJwtSigner } from './jwt-signer.ts';

function keyPair(alg: SigningAlg) {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

describe('createJwtSigner', () => {
  for (const [alg, offload] of [
    ['RS256', true],
    ['RS256', false],
    ['PS256', true],
    ['PS256', false],
    ['ES256', true],
    ['ES256', false],
    ['EdDSA', true],
    ['EdDSA', false],
  ] as const) {
    it(`makes ${alg} signatures ${offload ? 'on the thread pool' : 'in line'} that jose verifies, with the header {alg, typ, kid}`, async () => {
      const { privateKey, publicKey } = keyPair(alg);
      const signer = createJwtSigner('at+jwt', { offload });
      const payload = JSON.stringify({ sub: 'client', n: 'ü' });
      const token = await signer.sign({ kid: 'k1', alg, privateKey }, payload);
      const key = await importJWK({ ...(publicKey.export({ format: 'jwk' }) as JWK), alg }, alg);
      const { protectedHeader, payload: bytes } = await compactVerify(token, key, { algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
      expect(new TextDecoder().decode(bytes)).toBe(payload);
    });
  }

  it('refuses to verify a token signed by another key', async () => {
    const signer = createJwtSigner('at+jwt');
    const token = await signer.sign(
      { kid: 'k', alg: 'RS256', privateKey: keyPair('RS256').privateKey },
      '{}',
    );
    const other = await importJWK(
      { ...(keyPair('RS256').publicKey.export({ format: 'jwk' }) as JWK), alg: 'RS256' },
      'RS256',
    );
    await expect(compactVerify(token, other)).rejects.toThrow();
  });
});
