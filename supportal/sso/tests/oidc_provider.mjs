// A real OpenID provider for the single sign-on tests (docs/sso.md#tests): panva's
// oidc-provider, installed by scripts/oidc_provider_install.sh, with a small log-in form of
// our own so a test chooses whether the person used a second factor (the amr claim).
//
// Environment: OIDC_PROVIDER_MODULE (the package's lib/index.js), OIDC_PORT, OIDC_CLIENTS
// (JSON list of clients), OIDC_ACCOUNTS (a JSON file, read at each log-in: {sub: {email,
// email_verified, password, given_name, family_name}}). Listens on 127.0.0.1 only.
import http from 'node:http';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);
const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = () => JSON.parse(fs.readFileSync(process.env.OIDC_ACCOUNTS, 'utf8'));

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.OIDC_CLIENTS),
  claims: {
    // The method references go in every ID token: the tests choose one or two factors.
    openid: ['sub', 'acr', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  cookies: { keys: ['supportal-tests-only'] },
  features: { devInteractions: { enabled: false } },
  // Every client must send a PKCE challenge (the default asks it of public clients only).
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts()[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.email_verified,
          given_name: account.given_name,
          family_name: account.family_name,
        };
      },
    };
  },
  // A first-party client: consent is given with the log-in.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function form(res, uid, error = '') {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>E-mail <input name="email" type="email"></label>
<label>Password <input name="password" type="password"></label>
<label><input name="otp" type="checkbox" value="1"> I used my authenticator app</label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>`);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function interaction(req, res, uid, isPost) {
  await provider.interactionDetails(req, res);
  if (!isPost) return form(res, uid);
  const data = await body(req);
  if (data.get('action') === 'cancel') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The person cancelled.',
    }, { mergeWithLastSubmission: false });
  }
  const found = Object.entries(accounts()).find(
    ([, account]) => account.email === data.get('email') && account.password === data.get('password'),
  );
  if (!found) return form(res, uid, 'Wrong e-mail or password.');
  return provider.interactionFinished(req, res, {
    login: { accountId: found[0], amr: data.get('otp') ? ['pwd', 'otp'] : ['pwd'] },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return callback(req, res);
  try {
    await interaction(req, res, match[1], req.method === 'POST' && Boolean(match[2]));
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
}).listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
