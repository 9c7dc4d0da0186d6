// The peer the token-endpoint benchmark compares against: oidc-provider@8.8.1 configured the way
// its docs describe for client credentials with JWT access tokens (resource indicators), RS256.
// Run as a child process: `PORT=... node bench/peers/oidc-provider-server.mjs`; prints READY.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const audience = 'https://contacts.bench/';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-client',
      client_secret: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-not-used-by-client-credentials'] },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read:contacts write:contacts',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err.message));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(
    `READY ${JSON.stringify({ url: issuer, audience, clientId: 'bench-client', clientSecret: 'bench-secret-that-is-long-enough-for-hs256-0123456789' })}`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
