/**
 * Whether a verified token has been revoked since it was issued: deny-listed by `jti`, or issued
 * before a cut-off of its client (at its audience, or at every audience). A revoked signing key
 * needs no check here: it has left the JWKS, so its tokens no longer verify.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
import type { RevocationStore } from '../store/store.ts';
import type { VerifiedAccessToken } from '../token/access-token-verifier.ts';

/** Checks tokens against the deny-list and cut-offs, reading the store each time (changes apply at once). */
export interface RevocationCheck {
  isRevoked(token: VerifiedAccessToken): Promise<boolean>;
}

/** Creates the check over the store. */
export function createRevocationCheck(store: RevocationStore): RevocationCheck {
  return {
    async isRevoked(token) {
      const [denied, cutoffs] = await Promise.all([
        store.getRevokedToken(token.aud, token.jti),
        store.findCutoffs(token.clientId, token.aud),
      ]);
      if (denied !== null) return true;
      // docs/feeds.md: cut off when issuedAtMs < at; a token issued at or after the cut-off stands.
      return cutoffs.some((c) => token.issuedAtMs < c.at);
    },
  };
}
