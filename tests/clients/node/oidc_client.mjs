#!/usr/bin/env node
// A small CLI over the openid-client npm package (v6), driven by tests/clients/test_openid_client_node.py.
//
//   node oidc_client.mjs discover <issuer>
//   node oidc_client.mjs client-credentials <issuer> <id> <secret> <scope>
//   node oidc_client.mjs auth-url <issuer> <id> <secret> <redirect_uri> <scope>
//   node oidc_client.mjs exchange <issuer> <id> <secret> <callback_url> <code_verifier> <state> <nonce>
//
// Each command prints one JSON document on stdout. On failure it prints {"error", "message", ...} on
// stdout too and exits 1, so the Python test can assert on the error the library saw.
//
// The test server is plain http on loopback: openid-client v6 refuses that unless the configuration
// runs allowInsecureRequests, which we pass through discovery's `execute` option.

import * as client from "openid-client";

async function configure(issuer, clientId, clientSecret) {
  // A confidential client authenticates with HTTP Basic (client_secret_basic), a public one with
  // nothing but its client_id (and PKCE).
  const auth = clientSecret ? client.ClientSecretBasic(clientSecret) : client.None();
  return client.discovery(new URL(issuer), clientId, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

function tokenJson(tokens) {
  // TokenEndpointResponse plus helper methods; keep only the response members.
  const out = {};
  for (const [k, v] of Object.entries(tokens)) {
    if (typeof v !== "function") out[k] = v;
  }
  return out;
}

const commands = {
  async discover(issuer) {
    const config = await client.discovery(new URL(issuer), "discovery-only", undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    return config.serverMetadata();
  },

  async "client-credentials"(issuer, clientId, clientSecret, scope) {
    const config = await configure(issuer, clientId, clientSecret);
    const tokens = await client.clientCredentialsGrant(config, { scope });
    return tokenJson(tokens);
  },

  async "auth-url"(issuer, clientId, clientSecret, redirectUri, scope) {
    const config = await configure(issuer, clientId, clientSecret);
    const codeVerifier = client.randomPKCECodeVerifier();
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: codeChallenge,
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url: url.href, code_verifier: codeVerifier, state, nonce };
  },

  async exchange(issuer, clientId, clientSecret, callbackUrl, codeVerifier, state, nonce) {
    const config = await configure(issuer, clientId, clientSecret);
    // The redirect_uri sent to the token endpoint is the callback URL without its query.
    const tokens = await client.authorizationCodeGrant(config, new URL(callbackUrl), {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    // claims() returns the ID token claims the library already validated (signature via jwks_uri,
    // iss, aud, exp, iat, nonce).
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { tokens: tokenJson(tokens), claims, userinfo };
  },
};

async function main(argv) {
  const [name, ...args] = argv;
  const command = commands[name];
  if (!command) {
    process.stderr.write(`usage: oidc_client.mjs ${Object.keys(commands).join("|")} ...\n`);
    return 2;
  }
  try {
    const result = await command(...args);
    process.stdout.write(JSON.stringify(result) + "\n");
    return 0;
  } catch (err) {
    // ResponseBodyError carries the OAuth error of a JSON error body; a 401 with a WWW-Authenticate
    // header becomes WWWAuthenticateChallengeError, whose challenges carry it as a parameter.
    const challenge = Array.isArray(err?.cause) ? err.cause.find((c) => c?.parameters?.error) : undefined;
    const out = {
      error: err?.error ?? challenge?.parameters?.error ?? err?.code ?? err?.name ?? "Error",
      code: err?.code ?? null,
      message: String(err?.message ?? err),
    };
    const description = err?.error_description ?? challenge?.parameters?.error_description;
    if (description) out.error_description = description;
    if (err?.status) out.status = err.status;
    // openid-client wraps a check that failed (state, nonce, iss...) as "invalid response
    // encountered"; the wrapped error's message says which check.
    if (err?.cause?.message) out.cause_message = String(err.cause.message);
    if (err?.cause && typeof err.cause === "object") {
      try {
        out.cause = JSON.parse(JSON.stringify(err.cause));
      } catch {
        out.cause = String(err.cause);
      }
    }
    process.stdout.write(JSON.stringify(out) + "\n");
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
