// A real OpenID Connect provider on loopback for the tests of accounts/oidc: the certified
// `oidc-provider` package with in-memory accounts, one confidential client, its own login page
// and RP-initiated logout. Started by tests/oidc_provider/harness.py:
//
//   node provider.mjs            (configuration as JSON in $PROVIDER_CONFIG, see below)
//
// It listens on 127.0.0.1 and a free port, and prints one line `listening <issuer>` when ready.
//
// $PROVIDER_CONFIG: {"client": {"client_id", "client_secret", "redirect_uris": [...],
//                               "post_logout_redirect_uris": [...]},
//                    "accounts": {"<login>": {"password", "email", "email_verified", "acr", "amr"}}}
//
// Test controls (loopback only, JSON bodies), so a test can make the provider misbehave the way
// real ones do:
//   PUT  /test/accounts/<login>   create or change an account (e.g. a new e-mail address, acr/amr)
//   POST /test/mode               {"claims": {...}}        re-sign every ID token with these claims
//                                                          changed (iss, exp, iat, nonce, auth_time)
//                                 {"replay": true}         answer with the previous ID token again
//                                 {"foreign_key": true}    sign ID tokens with a key that is not
//                                                          the published one (same key id)
//                                 {}                       back to normal
//   GET  /test/last-authorization the parameters of the last authorization request
import http from 'node:http';
import { URL } from 'node:url';
import querystring from 'node:querystring';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.PROVIDER_CONFIG || '{}');
const accounts = new Map(Object.entries(config.accounts || {}));
let mode = {};
let lastAuthorization = null;
const issuedIdTokens = [];

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
const foreign = await jose.generateKeyPair('RS256', { extractable: true });

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

const client = config.client || {};
const provider = new Provider(issuer, {
  clients: [{
    client_id: client.client_id || 'expertteam',
    client_secret: client.client_secret || 'expertteam-test-secret',
    redirect_uris: client.redirect_uris || [],
    post_logout_redirect_uris: client.post_logout_redirect_uris || [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['expertteam-test-provider-cookie-key'] },
  pkce: { required: () => true }, // a request without PKCE (S256) is refused
  claims: {
    // acr, amr and auth_time in every ID token, as Entra ID and Keycloak do
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  conformIdTokenClaims: false, // the requested scopes' claims go in the ID token itself
  acrValues: ['urn:expertteam:test:mfa', 'urn:expertteam:test:password'],
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign out</title></head><body><main>
<h1>Test provider: sign out?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></main></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.email_verified !== false,
          name: account.name || sub,
        };
      },
    };
  },
  // A first-party client: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'acr', 'amr', 'auth_time']);
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Provider error</title></head><body><h1>Provider error</h1><p id="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p></body></html>`;
  },
});
provider.proxy = false;

// The token endpoint's answer, changed when a test asks for a misbehaving provider.
provider.use(async (ctx, next) => {
  if (ctx.path === '/auth') lastAuthorization = Object.fromEntries(new URL(ctx.href).searchParams);
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const original = ctx.body.id_token;
    let token = original;
    if (mode.claims || mode.foreign_key) {
      const claims = { ...jose.decodeJwt(original), ...(mode.claims || {}) };
      const key = mode.foreign_key ? foreign.privateKey : privateKey;
      token = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid }).sign(key);
    }
    if (mode.replay && issuedIdTokens.length) token = issuedIdTokens[issuedIdTokens.length - 1];
    issuedIdTokens.push(original);
    ctx.body = { ...ctx.body, id_token: token };
  }
});

function loginPage(uid, details, error) {
  const params = details.params || {};
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main>
<h1>Test provider: sign in</h1>
<p>Client <span id="client">${escapeHtml(params.client_id)}</span> asks you to sign in.</p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="login">User name</label> <input id="login" name="login" required>
  <label for="password">Password</label> <input id="password" name="password" type="password" required>
  <button type="submit">Sign in at the provider</button>
</form>
</main></body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') return send(res, 200, 'text/html; charset=utf-8', loginPage(uid, details));
    // consent is granted by loadExistingGrant; anything else simply continues
    return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = querystring.parse(await readBody(req));
    const account = accounts.get(String(form.login || ''));
    if (!account || account.password !== form.password) {
      return send(res, 200, 'text/html; charset=utf-8', loginPage(uid, details, 'Wrong user name or password.'));
    }
    const login = { accountId: String(form.login), ts: Math.floor(Date.now() / 1000) };
    if (account.acr) login.acr = account.acr;
    if (account.amr) login.amr = account.amr;
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  return send(res, 404, 'text/plain', 'not found');
}

async function testControl(req, res, url) {
  const body = req.method === 'GET' ? {} : JSON.parse((await readBody(req)) || '{}');
  if (url.pathname.startsWith('/test/accounts/') && req.method === 'PUT') {
    const login = decodeURIComponent(url.pathname.slice('/test/accounts/'.length));
    accounts.set(login, { ...(accounts.get(login) || {}), ...body });
    return send(res, 200, 'application/json', JSON.stringify(accounts.get(login)));
  }
  if (url.pathname === '/test/mode' && req.method === 'POST') {
    mode = body;
    return send(res, 200, 'application/json', JSON.stringify(mode));
  }
  if (url.pathname === '/test/last-authorization') {
    return send(res, 200, 'application/json', JSON.stringify(lastAuthorization));
  }
  return send(res, 404, 'text/plain', 'not found');
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname.startsWith('/test/')) return await testControl(req, res, url);
    return callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, 'text/plain', String(err && err.message));
  }
});

console.log(`listening ${issuer}`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
