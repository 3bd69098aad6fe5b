// The oidc-provider peer for bench/run: one Node process, oidc-provider's defaults, including its
// default adapter (in-memory, an LRU of 1000 entries: nothing is stored durably).
//
// Configured only where the workloads need it, each change named here and in bench/README.md:
//   - features.clientCredentials and features.introspection enabled (off by default);
//   - rotateRefreshToken: true (the default rotates only public clients' and ageing tokens; the
//     workload is "refresh with rotation", so every refresh rotates, as in the other servers);
//   - an "email" scope with its claims and a findAccount returning them (the default findAccount is a
//     placeholder that only knows `sub`);
//   - PKCE required for every client (the default requires it for public clients only);
//   - a freshly generated RS256 signing key and cookie keys (the defaults are development keys).
// devInteractions (the built-in sign-in and consent pages) stay on: any login is accepted.
//
// With env BENCH_OIDC_PG (a PostgreSQL connection string) every model is stored there instead, through
// pg_adapter.mjs: bench/run's "oidc-provider-pg" server, the durable peer of Consentry on PostgreSQL.
//
// Input: env BENCH_OIDC_CONFIG, a JSON object {port, web: {client_id, client_secret, redirect_uri},
// service: {client_id, client_secret}}. Prints "listening <issuer>" once ready.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const input = JSON.parse(process.env.BENCH_OIDC_CONFIG ?? '{}');
const port = Number(input.port);
if (!port || !input.web || !input.service) {
  console.error('BENCH_OIDC_CONFIG must give port, web and service');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench-rs256' };

const configuration = {
  clients: [
    {
      client_id: input.web.client_id,
      client_secret: input.web.client_secret,
      redirect_uris: [input.web.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: input.service.client_id,
      client_secret: input.service.client_secret,
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
  rotateRefreshToken: true,
  scopes: ['openid', 'offline_access', 'email'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@example.com`, email_verified: true };
      },
    };
  },
  pkce: { required: () => true },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
};

if (process.env.BENCH_OIDC_PG) {
  const { pgAdapter } = await import('./pg_adapter.mjs');
  // oidc-provider's default clockTolerance (15 s), which its own adapter adds to every expiry.
  configuration.adapter = await pgAdapter(process.env.BENCH_OIDC_PG, configuration.clockTolerance ?? 15);
}

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
