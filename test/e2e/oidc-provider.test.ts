import { GATEWAY_RESPONSES } from '../../infra/gateway-responses';
import { clientCredentialsToken, idToken, jwtPayload, setProviderClock, withPayload } from './oidc-client';
import { type ChildRun, type LocalGateway, type OidcProviderInfo, startLocalGateway, startOidcProvider, stopLocalGateway } from './processes';

jest.setTimeout(60_000);

let provider: { run: ChildRun; info: OidcProviderInfo };

beforeAll(async () => {
  provider = await startOidcProvider();
});

afterAll(async () => {
  await provider?.run.stop('SIGTERM');
});

function call(gateway: LocalGateway, path: string, token: string): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
}

/** Waits for the log line of a request made after `mark` and returns it. */
async function logLine(gateway: LocalGateway, mark: number, pattern: RegExp): Promise<string> {
  const [line] = await gateway.run.waitForStdout(new RegExp(`^.*${pattern.source}.*$`, 'm'), mark);
  return line;
}

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  expect(await response.json()).toEqual(GATEWAY_RESPONSES.UNAUTHORIZED.body);
}

describe('access tokens of an OpenID provider', () => {
  let gateway: LocalGateway;

  beforeAll(async () => {
    // Only the issuer and the audience: the key set is found through discovery.
    gateway = await startLocalGateway({ ISSUER_URL: provider.info.issuer, AUDIENCE: provider.info.audience });
  });

  afterAll(async () => {
    await stopLocalGateway(gateway);
  });

  it('prints the external issuer it accepts', () => {
    expect(gateway.run.stdout.text).toContain(`and access tokens of ${provider.info.issuer} (aud ${provider.info.audience})`);
  });

  it('accepts a client credentials token on GET /me', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });

    const response = await call(gateway, '/me', token);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { sub: string; iss: string; scopes: string[]; clientId: string };
    expect(body.sub).toBe(provider.info.clientId);
    expect(body.iss).toBe(provider.info.issuer);
    expect(body.scopes).toEqual(['profile']);
    expect(body.clientId).toBe(provider.info.clientId);
  });

  it('denies a cached profile token on /admin', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });
    expect((await call(gateway, '/me', token)).status).toBe(200);
    const mark = gateway.run.stdout.text.length;

    const response = await call(gateway, '/admin', token);

    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await logLine(gateway, mark, /GET \/admin 403 \d+ ms {2}cached policy, policy denies the route/);
  });

  it('allows a cached admin token on /admin', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'admin' });
    expect((await call(gateway, '/me', token)).status).toBe(200);
    const mark = gateway.run.stdout.text.length;

    const response = await call(gateway, '/admin', token);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Admin access granted', sub: provider.info.clientId });
    await logLine(gateway, mark, /GET \/admin 200 \d+ ms {2}cached policy, policy allows the route/);
  });

  it('rejects a token for another audience', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'admin', resource: provider.info.otherAudience });
    expect(jwtPayload(token).aud).toBe(provider.info.otherAudience);
    const mark = gateway.run.stdout.text.length;

    await expectUnauthorized(await call(gateway, '/me', token));
    await logLine(gateway, mark, /GET \/me 401 \d+ ms {2}authorizer unauthorized \(audience_mismatch\)/);
  });

  it('rejects an expired token', async () => {
    await setProviderClock(provider.info, -3600);
    let token: string;
    try {
      token = await clientCredentialsToken(provider.info, { scope: 'profile' });
    } finally {
      await setProviderClock(provider.info, 0);
    }
    expect(Number(jwtPayload(token).exp)).toBeLessThan(Date.now() / 1000 - 3000);
    const mark = gateway.run.stdout.text.length;

    await expectUnauthorized(await call(gateway, '/me', token));
    await logLine(gateway, mark, /GET \/me 401 \d+ ms {2}authorizer unauthorized \(expired\)/);
  });

  it('rejects a token whose payload was changed', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });

    await expectUnauthorized(await call(gateway, '/admin', withPayload(token, { scope: 'admin' })));
  });

  it('rejects a token whose signature was changed', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

    await expectUnauthorized(await call(gateway, '/me', `${header}.${payload}.${flipped}`));
  });

  it('rejects an unsigned token', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    const [, payload] = token.split('.');

    await expectUnauthorized(await call(gateway, '/me', `${header}.${payload}.AAAA`));
  });

  it('still accepts local tokens from POST /login', async () => {
    const login = await fetch(`${gateway.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'demo@example.com', password: 'correct-horse-battery' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };

    expect((await call(gateway, '/me', token)).status).toBe(200);
  });
});

describe('ID tokens of an OpenID provider', () => {
  let gateway: LocalGateway;

  beforeAll(async () => {
    // An ID token's audience is the client id.
    gateway = await startLocalGateway({ ISSUER_URL: provider.info.issuer, AUDIENCE: provider.info.clientId, TOKEN_USE: 'id' });
  });

  afterAll(async () => {
    await stopLocalGateway(gateway);
  });

  it('accepts an ID token from the authorization code flow', async () => {
    const token = await idToken(provider.info, 'bob');
    expect(jwtPayload(token)).toMatchObject({ sub: 'bob', aud: provider.info.clientId, iss: provider.info.issuer });

    const response = await call(gateway, '/me', token);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: 'bob', iss: provider.info.issuer, scopes: [] });
  });

  it('denies an ID token on /admin', async () => {
    const token = await idToken(provider.info, 'carol');

    const response = await call(gateway, '/admin', token);

    expect(response.status).toBe(403);
  });

  it('rejects an access token whose audience is the API', async () => {
    const token = await clientCredentialsToken(provider.info, { scope: 'profile' });

    await expectUnauthorized(await call(gateway, '/me', token));
  });
});
