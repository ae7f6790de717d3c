import { KeyEndpoint } from '../../helpers/jwks-server';
import { loadAuthorizer, type LoadedAuthorizer, thrownMessage, tokenEvent } from '../../helpers/load-authorizer';
import { generateTestKey, nowSeconds, signToken, type TestAlgorithm, type TestKey } from '../../helpers/tokens';

/**
 * Tokens shaped as each provider documents them, verified end to end through the handler against a key set
 * served on 127.0.0.1. Issuers are the providers' real URL forms; JWKS_URI points at the loopback server.
 */
describe('authorizer with provider-shaped tokens', () => {
  let endpoint: KeyEndpoint;
  let rsaKey: TestKey;
  let authorizer: LoadedAuthorizer | undefined;

  beforeAll(async () => {
    rsaKey = generateTestKey('RS256', 'provider-key-1');
    endpoint = await new KeyEndpoint().start();
    endpoint.jwks = { keys: [rsaKey.jwk] };
  });

  afterEach(() => authorizer?.restore());
  afterAll(() => endpoint.stop());

  const load = (env: Record<string, string>) => {
    authorizer = loadAuthorizer({ JWKS_URI: endpoint.jwksUri, ...env });
    return authorizer;
  };
  const lastReason = () => authorizer!.decisions.at(-1)?.reason;

  describe('Cognito', () => {
    const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123';
    const clientId = '1example23456789abcdefghij';
    // Claim set of a Cognito user pool access token, as the Cognito developer guide lists it.
    const accessClaims = () => ({
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['admin'],
      iss: issuer,
      version: 2,
      client_id: clientId,
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-000000000001',
      event_id: 'aaaaaaaa-bbbb-cccc-dddd-000000000002',
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin phone openid profile email',
      auth_time: nowSeconds() - 10,
      exp: nowSeconds() + 3600,
      iat: nowSeconds() - 10,
      jti: 'aaaaaaaa-bbbb-cccc-dddd-000000000003',
      username: 'my-user',
    });
    // Claim set of a Cognito ID token: aud is the app client id.
    const idClaims = () => ({
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['readers'],
      email_verified: true,
      iss: issuer,
      'cognito:username': 'my-user',
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-000000000001',
      aud: clientId,
      event_id: 'aaaaaaaa-bbbb-cccc-dddd-000000000002',
      token_use: 'id',
      auth_time: nowSeconds() - 10,
      exp: nowSeconds() + 3600,
      iat: nowSeconds() - 10,
      jti: 'aaaaaaaa-bbbb-cccc-dddd-000000000004',
      email: 'my-user@example.com',
    });

    it('accepts an access token and checks client_id', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: `other-client,${clientId}`, TOKEN_USE: 'access' });
      const result = await handler(tokenEvent(`Bearer ${await signToken(rsaKey, accessClaims())}`));

      expect(result.principalId).toBe('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
      expect(result.context).toMatchObject({ tokenUse: 'access', clientId, groups: 'admin', iss: issuer });
      expect(lastReason()).toBe('ok');
    });

    it('rejects an access token of another app client', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: 'other-client', TOKEN_USE: 'access' });
      const token = await signToken(rsaKey, accessClaims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('audience_mismatch');
    });

    it('rejects an access token without client_id', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: clientId, TOKEN_USE: 'access' });
      const { client_id: _omitted, ...claims } = accessClaims();

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${await signToken(rsaKey, claims)}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('missing_claim');
    });

    it('rejects an ID token where access tokens are configured', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: clientId, TOKEN_USE: 'access' });
      const token = await signToken(rsaKey, idClaims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('token_use_mismatch');
    });

    it('accepts an ID token and checks aud', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: clientId, TOKEN_USE: 'id' });
      const result = await handler(tokenEvent(`Bearer ${await signToken(rsaKey, idClaims())}`));

      expect(result.context).toMatchObject({ tokenUse: 'id', email: 'my-user@example.com', groups: 'readers' });
    });

    it('rejects an ID token for another client', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: 'other-client', TOKEN_USE: 'id' });
      const token = await signToken(rsaKey, idClaims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('audience_mismatch');
    });

    it('rejects an access token where ID tokens are configured', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: clientId, TOKEN_USE: 'id' });
      const token = await signToken(rsaKey, accessClaims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('token_use_mismatch');
    });
  });

  describe('Auth0', () => {
    // Auth0 issuers end with a slash, and an access token requested with an API audience plus openid also
    // carries the tenant's userinfo URL in aud.
    const issuer = 'https://example-tenant.eu.auth0.com/';
    const claims = () => ({
      iss: issuer,
      sub: 'auth0|5f7c8ec7c33c6c004bbafe82',
      aud: ['https://api.example.com', 'https://example-tenant.eu.auth0.com/userinfo'],
      iat: nowSeconds() - 5,
      exp: nowSeconds() + 86400,
      azp: 'c2Wq5uXyb0bCBQKkdSSgIoZu5rG0Nh53',
      scope: 'openid profile email read:messages',
    });

    it('accepts an access token with an aud array', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: 'https://api.example.com' });
      const result = await handler(tokenEvent(`Bearer ${await signToken(rsaKey, claims())}`));

      expect(result.principalId).toBe('auth0|5f7c8ec7c33c6c004bbafe82');
      expect(result.context).toMatchObject({ clientId: 'c2Wq5uXyb0bCBQKkdSSgIoZu5rG0Nh53', scope: 'openid profile email read:messages' });
    });

    it('rejects its tokens when ISSUER_URL lacks the trailing slash', async () => {
      const { handler } = load({ ISSUER_URL: issuer.slice(0, -1), AUDIENCE: 'https://api.example.com' });
      const token = await signToken(rsaKey, claims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('issuer_mismatch');
    });

    it('does not match an audience by prefix', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: 'https://api.example' });
      const token = await signToken(rsaKey, claims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('audience_mismatch');
    });
  });

  describe('Firebase', () => {
    // Firebase ID tokens: aud is the project id and iss is securetoken.google.com/<project id>.
    const project = 'my-firebase-project';
    const claims = () => ({
      iss: `https://securetoken.google.com/${project}`,
      aud: project,
      auth_time: nowSeconds() - 60,
      user_id: 'Kq3cz2XgRdeLcJ1GnKxvW0Pzd6j2',
      sub: 'Kq3cz2XgRdeLcJ1GnKxvW0Pzd6j2',
      iat: nowSeconds() - 60,
      exp: nowSeconds() + 3540,
      email: 'user@example.com',
      email_verified: false,
      firebase: { identities: { email: ['user@example.com'] }, sign_in_provider: 'password' },
    });

    it('accepts an ID token for the project', async () => {
      const { handler } = load({ ISSUER_URL: `https://securetoken.google.com/${project}`, AUDIENCE: project });
      const result = await handler(tokenEvent(`Bearer ${await signToken(rsaKey, claims())}`));

      expect(result.principalId).toBe('Kq3cz2XgRdeLcJ1GnKxvW0Pzd6j2');
      expect(JSON.parse(String(result.context!.claims)).firebase.sign_in_provider).toBe('password');
    });

    it('rejects an ID token of another project', async () => {
      const { handler } = load({ ISSUER_URL: `https://securetoken.google.com/${project}`, AUDIENCE: 'other-project' });
      const token = await signToken(rsaKey, claims());

      expect(await thrownMessage(handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(lastReason()).toBe('audience_mismatch');
    });
  });

  describe('Keycloak', () => {
    // Keycloak access tokens name the client in azp and carry realm roles in realm_access.roles.
    const issuer = 'https://keycloak.example.com/realms/demo';
    const claims = () => ({
      exp: nowSeconds() + 300,
      iat: nowSeconds() - 1,
      jti: 'onrtac:4f7c8e9a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      iss: issuer,
      aud: ['orders-api', 'account'],
      sub: 'f3b4c1d2-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      typ: 'Bearer',
      azp: 'orders-web',
      realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-demo'] },
      scope: 'openid email profile',
      email_verified: true,
      preferred_username: 'jane',
      email: 'jane@example.com',
    });

    it('accepts an access token and passes azp as clientId', async () => {
      const { handler } = load({ ISSUER_URL: issuer, AUDIENCE: 'orders-api' });
      const result = await handler(tokenEvent(`Bearer ${await signToken(rsaKey, claims())}`));

      expect(result.context).toMatchObject({ clientId: 'orders-web', email: 'jane@example.com', scope: 'openid email profile' });
      expect(JSON.parse(String(result.context!.claims)).realm_access.roles).toContain('offline_access');
    });
  });

  describe('algorithm families', () => {
    const algorithms: TestAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
    const keys = new Map<TestAlgorithm, TestKey>();
    let familyEndpoint: KeyEndpoint;

    beforeAll(async () => {
      for (const alg of algorithms) keys.set(alg, generateTestKey(alg, `key-${alg}`));
      familyEndpoint = await new KeyEndpoint().start();
      familyEndpoint.jwks = { keys: [...keys.values()].map((key) => key.jwk) };
    });
    afterAll(() => familyEndpoint.stop());

    it.each(algorithms)('accepts %s', async (alg) => {
      authorizer = loadAuthorizer({ ISSUER_URL: 'https://issuer.example.com', AUDIENCE: 'api', JWKS_URI: familyEndpoint.jwksUri });
      const token = await signToken(keys.get(alg)!, {
        iss: 'https://issuer.example.com',
        aud: 'api',
        sub: `user-${alg}`,
        exp: nowSeconds() + 60,
      });

      const result = await authorizer.handler(tokenEvent(`Bearer ${token}`));

      expect(result.principalId).toBe(`user-${alg}`);
    });

    it.each(algorithms)('rejects a %s token with a flipped signature bit', async (alg) => {
      authorizer = loadAuthorizer({ ISSUER_URL: 'https://issuer.example.com', AUDIENCE: 'api', JWKS_URI: familyEndpoint.jwksUri });
      const token = await signToken(keys.get(alg)!, { iss: 'https://issuer.example.com', aud: 'api', sub: 'u', exp: nowSeconds() + 60 });
      const [header, payload, signature] = token.split('.');
      const bytes = Buffer.from(signature, 'base64url');
      bytes[bytes.length - 1] ^= 0x01;

      const message = await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${header}.${payload}.${bytes.toString('base64url')}`)));

      expect(message).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('bad_signature');
    });
  });
});
