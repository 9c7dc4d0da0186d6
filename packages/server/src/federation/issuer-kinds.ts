/**
 * Built-in knowledge of the workload issuers gatehouse federates with. The kind is decided by the
 * credential (trusted configuration), never by the token alone; the token must then have the shape
 * its platform documents, and a lifetime no longer than that platform's documented maximum.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
 * @see https://github.com/spiffe/spiffe/blob/main/standards/JWT-SVID.md
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_token_claims.html
 * @see https://docs.github.com/en/actions/reference/security/oidc#oidc-token-claims
 */
import type { JWTPayload } from 'jose';

/** The issuer kinds gatehouse knows. */
export type IssuerKind = 'kubernetes' | 'spiffe' | 'aws' | 'github-actions' | 'oidc';

/** The GitHub Actions OIDC issuer. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
/** The claim namespace of AWS STS `GetWebIdentityToken` tokens. */
export const AWS_CLAIMS_NAMESPACE = 'https://sts.amazonaws.com/';

const HOUR = 3600;

/**
 * Longest lifetime (`exp` minus `iat`) accepted per kind, in seconds. Kubernetes: `expirationSeconds`
 * defaults to 1 hour and the DESIGN caps it at 48 hours; AWS `GetWebIdentityToken` allows 60 to 3600
 * seconds; GitHub Actions tokens live minutes; SPIRE's default JWT-SVID TTL is 5 minutes.
 */
export const MAX_LIFETIME_SECONDS: Record<IssuerKind, number> = {
  kubernetes: 48 * HOUR,
  spiffe: HOUR,
  aws: HOUR,
  'github-actions': HOUR,
  oidc: HOUR,
};

/** A platform token whose claims do not have the shape its platform documents. */
export class FederatedClaimsError extends Error {
  readonly code = 'ERR_FEDERATED_CLAIMS';
}

/** The kind of a credential, from its issuer and subject. */
export function detectIssuerKind(issuer: string, subject: string): IssuerKind {
  if (subject.startsWith('system:serviceaccount:')) return 'kubernetes';
  if (subject.startsWith('spiffe://')) return 'spiffe';
  // GitHub Enterprise Cloud issuers add a slug after the host; GitHub Enterprise Server has its own host.
  if (issuer.startsWith(GITHUB_ACTIONS_ISSUER) || subject.startsWith('repo:')) return 'github-actions';
  if (/^arn:aws[a-z-]*:iam::\d{12}:/.test(subject)) return 'aws';
  return 'oidc';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Kubernetes projected service-account token: `kubernetes.io` names the namespace and service account, and binds the pod. */
function assertKubernetes(claims: JWTPayload): void {
  const k8s = claims['kubernetes.io'];
  if (!isObject(k8s)) throw new FederatedClaimsError('the kubernetes.io claim is missing');
  const sa = k8s.serviceaccount;
  if (!isText(k8s.namespace) || !isObject(sa) || !isText(sa.name) || !isText(sa.uid)) {
    throw new FederatedClaimsError(
      'kubernetes.io must name the namespace and the service account (name, uid)',
    );
  }
  if (claims.sub !== `system:serviceaccount:${k8s.namespace}:${sa.name}`) {
    throw new FederatedClaimsError('sub does not match the kubernetes.io namespace and service account');
  }
  const pod = k8s.pod;
  if (pod !== undefined && (!isObject(pod) || !isText(pod.name) || !isText(pod.uid))) {
    throw new FederatedClaimsError('kubernetes.io pod binding must carry the pod name and uid');
  }
}

const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]{1,255}(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;

/** SPIFFE JWT-SVID: `sub` a SPIFFE ID (`spiffe://trust-domain/path`, no query or fragment). */
function assertSpiffe(claims: JWTPayload): void {
  if (typeof claims.sub !== 'string' || !SPIFFE_ID.test(claims.sub) || /\/\.\.?(\/|$)/.test(claims.sub)) {
    throw new FederatedClaimsError('sub is not a SPIFFE ID (spiffe://trust-domain/path)');
  }
}

const AWS_PRINCIPAL = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):[A-Za-z0-9+=,.@_/-]+$/;

/** AWS outbound identity federation: `sub` the principal ARN, its account also in `https://sts.amazonaws.com/`.`aws_account`. */
function assertAws(claims: JWTPayload): void {
  const match = typeof claims.sub === 'string' ? AWS_PRINCIPAL.exec(claims.sub) : null;
  if (match === null) throw new FederatedClaimsError('sub is not an AWS IAM principal ARN');
  const ns = claims[AWS_CLAIMS_NAMESPACE];
  if (!isObject(ns) || ns.aws_account !== match[1]) {
    throw new FederatedClaimsError(`${AWS_CLAIMS_NAMESPACE} aws_account does not match the account of sub`);
  }
}

/** GitHub Actions: `sub` is `repo:<owner>/<repo>:...`, consistent with `repository`, `ref` and `environment`. */
function assertGithubActions(claims: JWTPayload): void {
  const { sub, repository } = claims;
  if (typeof sub !== 'string' || !isText(repository) || !sub.startsWith(`repo:${repository}:`)) {
    throw new FederatedClaimsError('sub does not start with repo:<repository claim>:');
  }
  const rest = sub.slice(`repo:${repository}:`.length);
  if (rest.startsWith('ref:') && claims.ref !== rest.slice(4)) {
    throw new FederatedClaimsError('sub names a ref other than the ref claim');
  }
  if (rest.startsWith('environment:') && claims.environment !== rest.slice(12)) {
    throw new FederatedClaimsError('sub names an environment other than the environment claim');
  }
}

/** Checks the platform-specific claims of a verified token; throws `FederatedClaimsError`. */
export function assertKindClaims(kind: IssuerKind, claims: JWTPayload): void {
  if (kind === 'kubernetes') assertKubernetes(claims);
  else if (kind === 'spiffe') assertSpiffe(claims);
  else if (kind === 'aws') assertAws(claims);
  else if (kind === 'github-actions') assertGithubActions(claims);
}
