import { buildRoutePolicy, parseMethodArn } from '../../../lambda/authorizer/policy';
import { PROTECTED_ROUTES, ROUTES } from '../../../lambda/shared/routes';
import { KeyEndpoint } from '../../helpers/jwks-server';
import { loadAuthorizer, type LoadedAuthorizer, METHOD_ARN_PREFIX, tokenEvent } from '../../helpers/load-authorizer';
import { policyAllows } from '../../helpers/policy-evaluation';
import { generateTestKey, nowSeconds, signToken, type TestKey } from '../../helpers/tokens';

const ISSUER = 'https://issuer.example.com';
const routeArn = (method: string, path: string) => `${METHOD_ARN_PREFIX}/${method}${path}`;

describe('route policy', () => {
  let endpoint: KeyEndpoint;
  let key: TestKey;
  let authorizer: LoadedAuthorizer;

  beforeAll(async () => {
    key = generateTestKey('ES256', 'policy-key');
    endpoint = await new KeyEndpoint().start();
    endpoint.jwks = { keys: [key.jwk] };
    authorizer = loadAuthorizer({ ISSUER_URL: ISSUER, AUDIENCE: 'api', JWKS_URI: endpoint.jwksUri });
  });
  afterAll(async () => {
    authorizer.restore();
    await endpoint.stop();
  });

  const tokenWith = (claims: Record<string, unknown>) =>
    signToken(key, { iss: ISSUER, aud: 'api', sub: 'user-1', exp: nowSeconds() + 300, ...claims });

  /**
   * API Gateway caches the first policy per token and applies it to every route. Evaluating that one policy
   * for each route must give the result the route table requires.
   */
  const cachedPolicyAnswers = async (claims: Record<string, unknown>, firstRoute: string) => {
    const result = await authorizer.handler(tokenEvent(`Bearer ${await tokenWith(claims)}`, firstRoute));
    return Object.fromEntries(
      PROTECTED_ROUTES.map((route) => [`${route.method} ${route.path}`, policyAllows(result.policyDocument, routeArn(route.method, route.path))]),
    );
  };

  it.each(['GET/me', 'GET/admin'])('denies /admin to a plain token first seen on %s', async (firstRoute) => {
    const answers = await cachedPolicyAnswers({ scope: 'profile email' }, firstRoute);

    expect(answers).toEqual({ 'GET /me': true, 'GET /admin': false });
  });

  it.each([
    ['the admin scope', { scope: 'profile admin' }],
    ['the admin entry of scp', { scp: ['profile', 'admin'] }],
    ['a space-separated scp', { scp: 'profile admin' }],
    ['the Cognito admin group', { 'cognito:groups': ['admin'] }],
    ['the admin group', { groups: ['staff', 'admin'] }],
  ])('allows every route to a token with %s', async (_case, claims) => {
    for (const firstRoute of ['GET/me', 'GET/admin']) {
      expect(await cachedPolicyAnswers(claims, firstRoute)).toEqual({ 'GET /me': true, 'GET /admin': true });
    }
  });

  it.each([
    ['a scope named like the group', { scope: 'administrator' }],
    ['a role claim', { roles: ['admin'] }],
    ['a group string instead of a list', { 'cognito:groups': 'admin-team' }],
  ])('does not treat %s as admin', async (_case, claims) => {
    expect(await cachedPolicyAnswers(claims, 'GET/me')).toEqual({ 'GET /me': true, 'GET /admin': false });
  });

  it('returns the same policy whichever route triggered it', async () => {
    const token = await tokenWith({ scope: 'profile' });

    const fromMe = await authorizer.handler(tokenEvent(`Bearer ${token}`, 'GET/me'));
    const fromAdmin = await authorizer.handler(tokenEvent(`Bearer ${token}`, 'GET/admin'));

    expect(fromAdmin.policyDocument).toEqual(fromMe.policyDocument);
    expect(authorizer.decisions.at(-2)?.decision).toBe('allow');
    expect(authorizer.decisions.at(-1)?.decision).toBe('deny');
  });

  it('scopes every resource to the API and stage of methodArn', async () => {
    const result = await authorizer.handler(tokenEvent(`Bearer ${await tokenWith({ scope: 'admin' })}`));
    const resources = result.policyDocument.Statement.flatMap((statement) => ('Resource' in statement ? statement.Resource : []));

    expect(resources.length).toBe(PROTECTED_ROUTES.length);
    for (const resource of resources) expect(String(resource).startsWith(`${METHOD_ARN_PREFIX}/`)).toBe(true);
    expect(resources.some((resource) => String(resource).includes('*'))).toBe(false);
    expect(policyAllows(result.policyDocument, 'arn:aws:execute-api:eu-west-1:123456789012:otherapi99/prod/GET/me')).toBe(false);
    expect(policyAllows(result.policyDocument, `${METHOD_ARN_PREFIX.replace('/prod', '/dev')}/GET/me`)).toBe(false);
  });

  it('does not allow public or unknown routes through the policy', async () => {
    const result = await authorizer.handler(tokenEvent(`Bearer ${await tokenWith({ scope: 'admin' })}`));
    const publicRoutes = ROUTES.filter((route) => route.access === 'public');

    for (const route of publicRoutes) {
      expect(policyAllows(result.policyDocument, routeArn(route.method, route.path))).toBe(false);
    }
    expect(policyAllows(result.policyDocument, routeArn('DELETE', '/me'))).toBe(false);
  });

  it('passes only strings, numbers and booleans in the context', async () => {
    const result = await authorizer.handler(
      tokenEvent(
        `Bearer ${await tokenWith({
          scope: 'profile admin',
          'cognito:groups': ['a', 'b'],
          email: 'user@example.com',
          nested: { list: [1, null], flag: true },
          nothing: null,
        })}`,
      ),
    );
    const context = result.context!;

    for (const value of Object.values(context)) expect(['string', 'number', 'boolean']).toContain(typeof value);
    expect(context).toMatchObject({ sub: 'user-1', iss: ISSUER, scope: 'profile admin', groups: 'a,b', email: 'user@example.com' });
    expect(JSON.parse(String(context.claims)).nested).toEqual({ list: [1, null], flag: true });
    expect(context).not.toHaveProperty('clientId');
    expect(context).not.toHaveProperty('tokenUse');
  });
});

describe('parseMethodArn', () => {
  it('splits a method ARN into stage prefix, method and path', () => {
    expect(parseMethodArn('arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/users/42')).toEqual({
      stagePrefix: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod',
      method: 'GET',
      path: '/users/42',
    });
  });

  it('rejects an ARN of another service', () => {
    expect(() => parseMethodArn('arn:aws:lambda:us-east-1:123456789012:function:f')).toThrow('not an execute-api method ARN');
  });

  it('fails the handler closed on a malformed methodArn', () => {
    expect(() => buildRoutePolicy('*', { scopes: ['admin'], groups: [] })).toThrow();
  });
});
