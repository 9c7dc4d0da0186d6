import { describe, expect, it } from 'vitest';
import { isKmsKeyId, parseKmsKeyList } from './kms-key-list.ts';

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the KMS signing key list', () => {
  it('reads key ids, key ARNs, aliases and alias ARNs, each optionally after its algorithm', () => {
    const parsed = parseKmsKeyList(
      ` RS256=${ARN}, ES256=alias/gatehouse-es256 ,1234abcd-12ab-34cd-56ef-1234567890ab,arn:aws:kms:eu-west-1:111122223333:alias/gh,mrk-1234abcd12ab34cd56ef1234567890ab`,
    );
    expect(parsed).toEqual({
      ok: true,
      keys: [
        { keyId: ARN, alg: 'RS256' },
        { keyId: 'alias/gatehouse-es256', alg: 'ES256' },
        { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', alg: undefined },
        { keyId: 'arn:aws:kms:eu-west-1:111122223333:alias/gh', alg: undefined },
        { keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab', alg: undefined },
      ],
    });
  });

  it.each([
    ['', 'names no KMS key'],
    [' , ', 'names no KMS key'],
    ['HS256=alias/x', 'entry 1: the algorithm must be one of RS256, PS256, ES256'],
    ['EdDSA=alias/x', 'entry 1: the algorithm must be one of RS256, PS256, ES256'],
    ['alias/ok,not a key', 'entry 2: must be a KMS key id'],
    ['gatehouse-signing', 'entry 1: must be a KMS key id'],
    ['arn:aws:s3:::bucket', 'entry 1: must be a KMS key id'],
    [`${ARN},PS256=${ARN}`, 'entry 2: names the same KMS key twice'],
    [Array.from({ length: 11 }, (_, i) => `alias/k${i}`).join(','), 'names more than 10 KMS keys'],
  ])('refuses %j: %s', (value, problem) => {
    const parsed = parseKmsKeyList(value);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });

  it('never repeats the value in its problem', () => {
    const parsed = parseKmsKeyList('RS256=secret-looking-value');
    expect(parsed.ok ? '' : parsed.problem).not.toContain('secret-looking-value');
  });

  it('knows the KeyId forms KMS accepts', () => {
    expect(isKmsKeyId(ARN)).toBe(true);
    expect(isKmsKeyId('alias/aws/lambda')).toBe(true);
    expect(isKmsKeyId(`alias/${'a'.repeat(251)}`)).toBe(false);
  });
});
