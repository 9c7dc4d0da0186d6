import { describe, expect, it } from 'vitest';
import { assertKindClaims, detectIssuerKind, GITHUB_ACTIONS_ISSUER } from './issuer-kinds.ts';

describe('issuer kinds', () => {
  it('derives the kind from the registered issuer and subject', () => {
    expect(detectIssuerKind('https://k8s.example', 'system:serviceaccount:a:b')).toBe('kubernetes');
    expect(detectIssuerKind('https://spire.example', 'spiffe://td.example/x')).toBe('spiffe');
    expect(detectIssuerKind('https://x.tokens.sts.global.api.aws', 'arn:aws:iam::123456789012:role/R')).toBe(
      'aws',
    );
    expect(detectIssuerKind(GITHUB_ACTIONS_ISSUER, 'repo:a/b:ref:refs/heads/main')).toBe('github-actions');
    expect(detectIssuerKind(`${GITHUB_ACTIONS_ISSUER}/acme`, 'anything')).toBe('github-actions');
    expect(detectIssuerKind('https://idp.example', 'svc')).toBe('oidc');
  });

  it('checks a GitHub ref subject against the ref claim', () => {
    const claims = { sub: 'repo:a/b:ref:refs/heads/main', repository: 'a/b', ref: 'refs/heads/main' };
    expect(() => assertKindClaims('github-actions', claims)).not.toThrow();
    expect(() => assertKindClaims('github-actions', { ...claims, ref: 'refs/heads/dev' })).toThrow(
      'ref other than',
    );
    expect(() => assertKindClaims('github-actions', { ...claims, repository: 'a/c' })).toThrow(
      'repo:<repository',
    );
  });

  it('requires the Kubernetes pod binding, when present, to name the pod', () => {
    const claims = {
      sub: 'system:serviceaccount:ns:sa',
      'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'sa', uid: 'u' }, pod: { name: 'p' } },
    };
    expect(() => assertKindClaims('kubernetes', claims)).toThrow('pod binding');
  });

  it('accepts an assumed-role STS ARN of the same account', () => {
    const claims = {
      sub: 'arn:aws:sts::123456789012:assumed-role/R/session',
      'https://sts.amazonaws.com/': { aws_account: '123456789012' },
    };
    expect(() => assertKindClaims('aws', claims)).not.toThrow();
  });
});
