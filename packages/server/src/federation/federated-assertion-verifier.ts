/**
 * Workload identity federation: a platform token (Kubernetes, SPIFFE, AWS, GitHub Actions, any
 * OIDC issuer) presented as the RFC 7523 `client_assertion`, matched to a client's federated
 * credential by issuer, subject and audience, then verified against that issuer's JWK Set.
 *
 * Unlike a private_key_jwt assertion, a platform token is handed out for reuse until it expires
 * (DESIGN.md), so its `jti` is not consumed; instead its whole lifetime (`exp` - `iat`) may not
 * exceed the platform's documented maximum (issuer-kinds.ts). Every failure is `invalid_client`;
 * the answer says what was wrong with the presented token only, the log says why in full.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { AuditRecorder, FederatedSignInEvent } from '../audit/audit-recorder.ts';
import { CLIENT_ASSERTION_ALGS } from '../discovery/metadata.ts';
import { InvalidClient } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientCredentialRecord, ClientRecord, ClientStore } from '../store/store.ts';
import type {
  AssertionCredentials,
  AuthenticationContext,
  ClientAssertionVerifier,
} from '../token/client-authentication.ts';
import {
  createFederatedClientIndex,
  type FederatedClientIndex,
  issuerKey,
} from './federated-client-index.ts';
import { createIssuerKeySets, type IssuerKeySets, IssuerKeysUnavailable } from './issuer-key-sets.ts';
import {
  assertKindClaims,
  detectIssuerKind,
  FederatedClaimsError,
  MAX_LIFETIME_SECONDS,
} from './issuer-kinds.ts';
import { matchesSubject } from './subject-pattern.ts';

/** Asymmetric algorithms a platform token may be signed with (never `none` or HMAC): the client-assertion allow-list. */
export const FEDERATED_ALGS: string[] = CLIENT_ASSERTION_ALGS;
/** Clock skew tolerated between the platform and the server, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Options of `createFederatedAssertionVerifier`. */
export interface FederatedAssertionVerifierOptions {
  store: Pick<ClientStore, 'getClient' | 'listClients'> & { changeStamp?: () => string };
  logger: Pick<Logger, 'info' | 'warn'>;
  keys?: IssuerKeySets;
  index?: FederatedClientIndex;
  /** Records each federated sign-in (`seccft`) and refusal (`feccft`) in the audit log, when the request is known. */
  audit?: Pick<AuditRecorder, 'recordFederatedSignIn'> | undefined;
}

/** What was learned of an attempt before it succeeded or failed (for the audit log; never the token). */
interface Attempt {
  issuer?: string;
  subject?: string;
  clientId?: string;
  credentialId?: string;
  kind?: string;
}

/** A verifier of federated assertions that also tells them apart from private_key_jwt ones. */
export interface FederatedAssertionVerifier extends ClientAssertionVerifier {
  /** Whether an assertion is a platform token (`iss` an URL other than `sub`), not a private_key_jwt. */
  accepts(assertion: string): boolean;
}

/** Whether a decoded assertion looks federated: its issuer is an URL and not its own subject. */
function isFederatedClaims(claims: JWTPayload): boolean {
  return typeof claims.iss === 'string' && claims.iss !== claims.sub && /^https?:\/\//.test(claims.iss);
}

/** A failure: `answer` goes to the client, `reason` (with it) to the log. */
class FederationFailure extends Error {
  constructor(
    readonly answer: string,
    readonly reason: string = answer,
  ) {
    super(answer);
  }
}

const audiencesOf = (aud: unknown): string[] =>
  typeof aud === 'string'
    ? [aud]
    : Array.isArray(aud)
      ? aud.filter((a): a is string => typeof a === 'string')
      : [];

/** The answer for a jose verification error (the token's own fault, or the issuer's keys). */
function describeVerifyError(err: unknown): FederationFailure {
  if (err instanceof errors.JWTExpired) return new FederationFailure('the federated token has expired');
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new FederationFailure('the federated token is signed with a key its issuer does not publish');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new FederationFailure('the federated token signature is invalid');
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new FederationFailure(
      `the federated token ${err.claim} claim is invalid`,
      `${err.claim}: ${err.message}`,
    );
  }
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError)
  ) {
    const why = err instanceof Error ? err.message : 'error';
    return new FederationFailure('the federated token issuer keys are unavailable', `issuer keys: ${why}`);
  }
  return new FederationFailure('the federated token cannot be verified', (err as Error).message);
}

/** Creates the verifier. */
export function createFederatedAssertionVerifier(
  opts: FederatedAssertionVerifierOptions,
): FederatedAssertionVerifier {
  const { store, logger, audit } = opts;
  const keys = opts.keys ?? createIssuerKeySets();
  const index = opts.index ?? createFederatedClientIndex(store);

  /** The one (client, credential) the unverified claims point at. */
  const findCredential = async (
    claims: JWTPayload,
    clientId: string | undefined,
    attempt: Attempt,
  ): Promise<{ client: ClientRecord; credential: ClientCredentialRecord }> => {
    const iss = issuerKey(claims.iss as string);
    const sub = claims.sub as string;
    const auds = audiencesOf(claims.aud);
    const fits = (c: ClientCredentialRecord) =>
      c.credentialType === 'federated' &&
      c.issuer !== undefined &&
      issuerKey(c.issuer) === iss &&
      c.subject !== undefined &&
      matchesSubject(c.subject, sub) &&
      c.audience !== undefined &&
      auds.includes(c.audience);
    let clientIds: string[];
    if (clientId !== undefined) {
      clientIds = [clientId];
    } else {
      const candidates = (await index.candidates(iss)).filter((c) => fits(c.credential));
      clientIds = [...new Set(candidates.map((c) => c.clientId))];
      if (clientIds.length > 1) {
        throw new FederationFailure('several clients trust this federated token; send client_id');
      }
    }
    const noMatch = new FederationFailure(
      'no federated credential matches the token issuer, subject and audience',
      `no credential for iss=${iss} sub=${sub} aud=${auds.join(' ')}${clientId ? ` client=${clientId}` : ''}`,
    );
    // Always re-read: the index may be stale, and a disabled or changed client must not pass.
    const client = clientIds[0] === undefined ? null : await store.getClient(clientIds[0]);
    const credential = client?.credentials.find(fits);
    if (client === null || credential === undefined) throw noMatch;
    attempt.clientId = client.clientId;
    attempt.credentialId = credential.id;
    attempt.kind = detectIssuerKind(credential.issuer!, credential.subject!);
    if (client.disabled)
      throw new FederationFailure('client authentication failed', `client ${client.clientId} is disabled`);
    return { client, credential };
  };

  const verify = async (
    credentials: AssertionCredentials,
    attempt: Attempt,
  ): Promise<{
    client: ClientRecord;
    payload: JWTPayload;
    kind: string;
    credential: ClientCredentialRecord;
  }> => {
    let alg: unknown;
    let claims: JWTPayload;
    try {
      alg = decodeProtectedHeader(credentials.assertion).alg;
      claims = decodeJwt(credentials.assertion);
    } catch {
      throw new FederationFailure('client_assertion is not a JWT');
    }
    if (typeof claims.iss === 'string') attempt.issuer = claims.iss;
    if (typeof claims.sub === 'string') attempt.subject = claims.sub;
    if (typeof alg !== 'string' || !FEDERATED_ALGS.includes(alg)) {
      throw new FederationFailure(`the federated token alg must be one of ${FEDERATED_ALGS.join(', ')}`);
    }
    if (typeof claims.sub !== 'string' || claims.sub === '')
      throw new FederationFailure('the federated token has no sub');
    const { client, credential } = await findCredential(claims, credentials.clientId, attempt);
    let keySet: Awaited<ReturnType<IssuerKeySets['keysFor']>>;
    try {
      keySet = await keys.keysFor(credential.issuer!, credential.jwksUri);
    } catch (err) {
      if (err instanceof IssuerKeysUnavailable) {
        throw new FederationFailure('the federated token issuer keys are unavailable', err.message);
      }
      throw err;
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(credentials.assertion, keySet, {
        algorithms: FEDERATED_ALGS,
        issuer: claims.iss as string,
        audience: credential.audience!,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      throw describeVerifyError(err);
    }
    // Signature, issuer and audience hold: from here on the messages may be specific.
    const kind = detectIssuerKind(credential.issuer!, credential.subject!);
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp!;
    const max = MAX_LIFETIME_SECONDS[kind];
    if (payload.iat !== undefined && payload.iat > now + CLOCK_TOLERANCE_SECONDS) {
      throw new FederationFailure('the federated token iat is in the future');
    }
    const start = payload.iat ?? now;
    if (exp - start > max || exp - now > max + CLOCK_TOLERANCE_SECONDS) {
      throw new FederationFailure(
        `the federated token lives longer than ${max} seconds, the most a ${kind} token may`,
      );
    }
    try {
      assertKindClaims(kind, payload);
    } catch (err) {
      if (err instanceof FederatedClaimsError)
        throw new FederationFailure(`the ${kind} token is malformed: ${err.message}`);
      throw err;
    }
    return { client, payload, kind, credential };
  };

  return {
    accepts(assertion) {
      try {
        return isFederatedClaims(decodeJwt(assertion));
      } catch {
        return false;
      }
    },
    async verify(credentials: AssertionCredentials, context: AuthenticationContext): Promise<ClientRecord> {
      const attempt: Attempt = {};
      const record = async (event: Omit<FederatedSignInEvent, 'audience'>) => {
        if (audit !== undefined && context.request !== undefined) {
          await audit.recordFederatedSignIn(context.request, { ...event, audience: context.audience });
        }
      };
      try {
        const { client, payload, kind, credential } = await verify(credentials, attempt);
        logger.info(
          {
            clientId: client.clientId,
            issuer: payload.iss,
            subject: payload.sub,
            kind,
            credentialId: credential.id,
          },
          'federated client authentication',
        );
        await record({
          outcome: 'success',
          clientId: client.clientId,
          issuer: payload.iss,
          subject: payload.sub,
          kind,
          credentialId: credential.id,
        });
        return client;
      } catch (err) {
        if (!(err instanceof FederationFailure)) throw err;
        logger.warn(
          { clientId: credentials.clientId, reason: err.reason.slice(0, 512) },
          'federated client authentication failed',
        );
        await record({
          outcome: 'failure',
          clientId: attempt.clientId ?? credentials.clientId ?? null,
          issuer: attempt.issuer,
          subject: attempt.subject,
          kind: attempt.kind,
          credentialId: attempt.credentialId,
          reason: err.reason,
        });
        throw new InvalidClient(err.answer);
      }
    },
  };
}
