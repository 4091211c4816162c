// A real OpenID Connect provider for the single sign-on tests
// (tests/api/oidc.rs): oidc-provider with its development interactions (a
// login form that accepts any account id as the subject, then a consent
// form). Run by the test as its own process:
//
//   node provider.mjs CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// It listens on a free port of 127.0.0.1 and prints one line,
// "issuer http://127.0.0.1:PORT", once it is ready. It stops when its
// standard input closes (the test ended).
import http from 'node:http';
import Provider from 'oidc-provider';

const [clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!clientId || !clientSecret || !redirectUri) {
  console.error('usage: node provider.mjs CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    cookies: { keys: ['varsel-test-only-cookie-key'] },
    pkce: { required: () => true },
    // Any account id typed in the login form is the subject.
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: { devInteractions: { enabled: true } },
  });
  server.on('request', provider.callback());
  console.log(`issuer ${issuer}`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
