import { describe, expect, it } from 'vitest';
import { formatBanner } from './banner.ts';

const base = { url: 'http://127.0.0.1:4123/', issuer: 'http://localhost:4123/', docsPath: 'docs' };

describe('formatBanner', () => {
  it('names the issuer and the URLs of discovery, JWKS, token endpoint, Management API and docs', () => {
    const text = formatBanner(base);
    expect(text).toMatch(/Issuer\s+http:\/\/localhost:4123\//);
    for (const url of [
      'http://127.0.0.1:4123/.well-known/openid-configuration',
      'http://127.0.0.1:4123/.well-known/jwks.json',
      'http://127.0.0.1:4123/oauth/token',
      'http://127.0.0.1:4123/api/v2/',
      'http://127.0.0.1:4123/docs',
    ]) {
      expect(text).toContain(url);
    }
  });

  it('builds the URLs right whether or not the base URL ends in a slash', () => {
    expect(formatBanner({ ...base, url: 'http://127.0.0.1:4123' })).toContain(
      'http://127.0.0.1:4123/.well-known/jwks.json',
    );
  });

  it('shows generated admin credentials with a shown-once warning', () => {
    const text = formatBanner({
      ...base,
      generatedAdmin: { clientId: 'adm1n', clientSecret: 's3cr3t-value' },
    });
    expect(text).toContain('GATEHOUSE_ADMIN_CLIENT_ID=adm1n');
    expect(text).toContain('GATEHOUSE_ADMIN_CLIENT_SECRET=s3cr3t-value');
    expect(text).toMatch(/shown once/);
  });

  it('shows no credentials when none were generated', () => {
    expect(formatBanner(base)).not.toContain('GATEHOUSE_ADMIN_CLIENT_SECRET');
  });
});
