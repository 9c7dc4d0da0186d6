/**
 * The JWS algorithms gatehouse verifies: the ones its server signs with. Symmetric (`HS*`) and
 * `none` are absent on purpose: a verifier holding only public keys must never accept them.
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1
 */
export const SUPPORTED_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** Whether `value` names a supported algorithm (exact, case-sensitive, as RFC 7515 requires). */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return value === 'RS256' || value === 'PS256' || value === 'ES256' || value === 'EdDSA';
}
