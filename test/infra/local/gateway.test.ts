import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';

import { GATEWAY_RESPONSES, type GatewayResponseKind } from '../../../infra/gateway-responses';
import { createGateway } from '../../../infra/local/gateway';
import { logDecision } from '../../../lambda/shared/decision-log';
import {
  ARN_PREFIX,
  bearer,
  policy,
  type RunningGateway,
  startGateway,
  TEST_ROUTES,
  tokenName,
} from './gateway-harness';

type Authorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<unknown>;

let gateway: RunningGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** Starts a gateway whose authorizer is `authorizer`, counting its calls. */
async function withAuthorizer(authorizer: Authorizer, options: { ttl?: number; now?: () => number; timeoutMs?: number } = {}) {
  const calls: APIGatewayTokenAuthorizerEvent[] = [];
  gateway = await startGateway({
    authorizer: async (event) => {
      calls.push(event);
      return authorizer(event);
    },
    authorizerCacheTtlSeconds: options.ttl ?? 0,
    authorizerTimeoutMs: options.timeoutMs,
    now: options.now,
  });
  return { gateway, calls };
}

async function get(path: string, authorization?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (authorization !== undefined) headers.set('Authorization', authorization);
  return fetch(`${gateway!.url}${path}`, { ...init, headers });
}

/** Checks status, headers and body against the stack's gateway response of that kind. */
async function expectGatewayResponse(response: Response, kind: GatewayResponseKind) {
  const definition = GATEWAY_RESPONSES[kind];
  expect(response.status).toBe(definition.statusCode);
  for (const [name, value] of Object.entries(definition.headers)) {
    expect(response.headers.get(name)).toBe(value);
  }
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(await response.json()).toEqual(definition.body);
}

/**
 * Sends a request with node:http, which sends the path unchanged and can send a header name more than once,
 * unlike fetch.
 */
function rawRequest(
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(gateway!.url);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

const allowEverything = async () => ({ principalId: 'user-1', policyDocument: policy({ Effect: 'Allow', Resource: `${ARN_PREFIX}/*` }) });

describe('gateway options', () => {
  it('rejects a route without handler', () => {
    expect(() => createGateway({ routes: TEST_ROUTES, handlers: {}, authorizer: allowEverything })).toThrow(
      'no handler function for GET /public (handler "echo")',
    );
  });

  it('rejects protected routes without authorizer', () => {
    const handlers = { echo: jest.fn(), crash: jest.fn(), custom: jest.fn() };
    expect(() => createGateway({ routes: TEST_ROUTES, handlers })).toThrow('protected routes need an authorizer function');
  });

  it('rejects a cache TTL above 3600 s', () => {
    const handlers = { echo: jest.fn(), crash: jest.fn(), custom: jest.fn() };
    expect(() =>
      createGateway({ routes: TEST_ROUTES, handlers, authorizer: allowEverything, authorizerCacheTtlSeconds: 3601 }),
    ).toThrow(RangeError);
  });
});

describe('identity validation', () => {
  it.each([
    ['no header', undefined],
    ['Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without token', 'Bearer '],
    ['two segments', 'Bearer abc.def'],
    ['two spaces', 'Bearer  abc.def.ghi'],
    ['invalid characters', 'Bearer abc.d+f.ghi'],
  ])('answers 401 without invoking the authorizer: %s', async (_case, authorization) => {
    const { calls } = await withAuthorizer(allowEverything);

    const response = await get('/items', authorization);

    await expectGatewayResponse(response, 'UNAUTHORIZED');
    expect(calls).toHaveLength(0);
    expect(gateway!.log[0].authorization).toEqual({ kind: 'not-invoked' });
  });

  it('accepts the Bearer scheme in any letter case', async () => {
    const { calls } = await withAuthorizer(allowEverything);

    const response = await get('/items', bearer('x').replace('Bearer', 'bEaReR'));

    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
  });
});

describe('authorizer event', () => {
  it('is a TOKEN event with the whole header and the method ARN', async () => {
    const { calls } = await withAuthorizer(allowEverything);

    await get('/items?color=red', bearer('alice'));

    expect(calls).toEqual([
      { type: 'TOKEN', authorizationToken: bearer('alice'), methodArn: `${ARN_PREFIX}/GET/items` },
    ]);
  });
});

describe('policy evaluation', () => {
  it.each([
    ['exact resource', `${ARN_PREFIX}/GET/items`, 200],
    ['exact resource of another route', `${ARN_PREFIX}/GET/secret`, 403],
    ['* over the path', `${ARN_PREFIX}/GET/*`, 200],
    ['* over method and path', `${ARN_PREFIX}/*`, 200],
    ['* across segments and colons', 'arn:aws:execute-api:*', 200],
    ['? for one character', `${ARN_PREFIX}/GET/item?`, 200],
    ['? does not match two characters', `${ARN_PREFIX}/GET/ite?`, 403],
    ['another stage', 'arn:aws:execute-api:us-east-1:123456789012:localapi00/prod/GET/items', 403],
    ['resources are case-sensitive', `${ARN_PREFIX}/get/items`, 403],
    ['a list with one match', [`${ARN_PREFIX}/GET/secret`, `${ARN_PREFIX}/GET/items`], 200],
  ])('Allow with %s', async (_case, resource, status) => {
    await withAuthorizer(async () => ({ principalId: 'p', policyDocument: policy({ Effect: 'Allow', Resource: resource }) }));

    const response = await get('/items', bearer('t'));

    expect(response.status).toBe(status);
    if (status === 403) await expectGatewayResponse(response, 'ACCESS_DENIED');
  });

  it('lets an explicit Deny win over a wildcard Allow', async () => {
    await withAuthorizer(async () => ({
      principalId: 'p',
      policyDocument: policy(
        { Effect: 'Allow', Resource: `${ARN_PREFIX}/*` },
        { Effect: 'Deny', Resource: `${ARN_PREFIX}/GET/secret` },
      ),
    }));

    expect((await get('/items', bearer('t'))).status).toBe(200);
    await expectGatewayResponse(await get('/secret', bearer('t')), 'ACCESS_DENIED');
  });

  it('lets a wildcard Deny win over an exact Allow', async () => {
    await withAuthorizer(async () => ({
      principalId: 'p',
      policyDocument: policy(
        { Effect: 'Allow', Resource: `${ARN_PREFIX}/GET/items` },
        { Effect: 'Deny', Resource: '*' },
      ),
    }));

    await expectGatewayResponse(await get('/items', bearer('t')), 'ACCESS_DENIED');
  });

  it.each([
    ['execute-api:*', 200],
    ['*', 200],
    ['EXECUTE-API:invoke', 200],
    ['execute-api:ManageConnections', 403],
    [['s3:GetObject', 'execute-api:Invoke'], 200],
  ])('matches Action %j', async (action, status) => {
    await withAuthorizer(async () => ({
      principalId: 'p',
      policyDocument: policy({ Effect: 'Allow', Resource: '*', Action: action }),
    }));

    expect((await get('/items', bearer('t'))).status).toBe(status);
  });

  it('accepts a single statement object instead of a list', async () => {
    await withAuthorizer(async () => ({
      principalId: 'p',
      policyDocument: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' } },
    }));

    expect((await get('/items', bearer('t'))).status).toBe(200);
  });
});

describe('invalid authorizer results', () => {
  const validPolicy = policy({ Effect: 'Allow', Resource: '*' });

  it.each([
    ['an object in the context', { principalId: 'p', policyDocument: validPolicy, context: { claims: { sub: 'x' } } }],
    ['an array in the context', { principalId: 'p', policyDocument: validPolicy, context: { scopes: ['a'] } }],
    ['null in the context', { principalId: 'p', policyDocument: validPolicy, context: { email: null } }],
    ['a context that is a string', { principalId: 'p', policyDocument: validPolicy, context: 'sub=x' }],
    ['no principalId', { policyDocument: validPolicy }],
    ['a numeric principalId', { principalId: 7, policyDocument: validPolicy }],
    ['no policyDocument', { principalId: 'p' }],
    ['an empty statement list', { principalId: 'p', policyDocument: { Version: '2012-10-17', Statement: [] } }],
    ['an unknown Effect', { principalId: 'p', policyDocument: policy({ Effect: 'allow', Resource: '*' }) }],
    ['no Resource', { principalId: 'p', policyDocument: policy({ Effect: 'Allow', Resource: undefined }) }],
    ['a result that is not an object', 'Allow'],
    ['no result', undefined],
  ])('answers the configuration-error response for %s', async (_case, result) => {
    await withAuthorizer(async () => result);

    const response = await get('/items', bearer('t'));

    await expectGatewayResponse(response, 'AUTHORIZER_CONFIGURATION_ERROR');
    expect(gateway!.log[0].authorization?.kind).toBe('configuration-error');
  });

  it('names the context key in the error it reports', async () => {
    await withAuthorizer(async () => ({ principalId: 'p', policyDocument: validPolicy, context: { groups: ['a'] } }));

    await get('/items', bearer('t'));

    expect(gateway!.log[0].authorization).toEqual({
      kind: 'configuration-error',
      error: 'context.groups is an array; only strings, numbers and booleans are allowed',
    });
  });

  it('drops undefined context values like the JSON the Lambda runtime returns', async () => {
    await withAuthorizer(async () => ({ principalId: 'p', policyDocument: validPolicy, context: { email: undefined, sub: 's' } }));

    const response = await get('/items', bearer('t'));

    expect(response.status).toBe(200);
    const event = (await response.json()) as APIGatewayProxyEvent;
    expect(event.requestContext.authorizer).toEqual({ principalId: 'p', sub: 's' });
  });
});

describe('authorizer errors', () => {
  it('answers 401 when the authorizer throws Unauthorized', async () => {
    await withAuthorizer(async () => {
      throw new Error('Unauthorized');
    });

    await expectGatewayResponse(await get('/items', bearer('t')), 'UNAUTHORIZED');
    expect(gateway!.errors).toEqual([]);
  });

  it('answers 503 when the authorizer throws anything else', async () => {
    await withAuthorizer(async () => {
      throw new Error('Signing keys are unavailable');
    });

    await expectGatewayResponse(await get('/items', bearer('t')), 'AUTHORIZER_FAILURE');
    expect(gateway!.log[0].authorization).toEqual({ kind: 'failure', error: 'Error: Signing keys are unavailable' });
    expect(gateway!.errors).toHaveLength(1);
  });

  it('answers 503 when the authorizer throws a non-Error value', async () => {
    await withAuthorizer(async () => {
      throw 'boom';
    });

    await expectGatewayResponse(await get('/items', bearer('t')), 'AUTHORIZER_FAILURE');
  });

  it('answers 503 when the authorizer does not finish in time', async () => {
    await withAuthorizer(() => new Promise(() => undefined), { timeoutMs: 50 });

    await expectGatewayResponse(await get('/items', bearer('t')), 'AUTHORIZER_FAILURE');
    expect(gateway!.log[0].authorization).toEqual({ kind: 'failure', error: 'timed out after 50 ms' });
  });

  it('answers 503 when the result cannot be serialized as JSON', async () => {
    await withAuthorizer(async () => ({ principalId: 'p', policyDocument: policy({ Effect: 'Allow', Resource: '*' }), context: { n: 1n } }));

    await expectGatewayResponse(await get('/items', bearer('t')), 'AUTHORIZER_FAILURE');
  });
});

describe('authorizer result cache', () => {
  /** Allows GET /items and denies GET /secret. */
  const itemsOnly = async () => ({
    principalId: 'p',
    policyDocument: policy(
      { Effect: 'Allow', Resource: `${ARN_PREFIX}/GET/items` },
      { Effect: 'Deny', Resource: `${ARN_PREFIX}/GET/secret` },
    ),
  });

  it('invokes the authorizer on every request with TTL 0', async () => {
    const { calls } = await withAuthorizer(itemsOnly, { ttl: 0 });

    await get('/items', bearer('t'));
    await get('/items', bearer('t'));

    expect(calls).toHaveLength(2);
  });

  it('reuses the result per token with TTL 300', async () => {
    const { calls } = await withAuthorizer(itemsOnly, { ttl: 300 });

    expect((await get('/items', bearer('a'))).status).toBe(200);
    expect((await get('/items', bearer('a'))).status).toBe(200);
    expect((await get('/items', bearer('b'))).status).toBe(200);

    expect(calls.map(tokenName)).toEqual(['a', 'b']);
    expect(gateway!.log.map((entry) => entry.authorization)).toEqual([
      { kind: 'policy', cached: false, allowed: true },
      { kind: 'policy', cached: true, allowed: true },
      { kind: 'policy', cached: false, allowed: true },
    ]);
  });

  it('evaluates a cached policy against each route', async () => {
    const { calls } = await withAuthorizer(itemsOnly, { ttl: 300 });

    expect((await get('/items', bearer('a'))).status).toBe(200);
    await expectGatewayResponse(await get('/secret', bearer('a')), 'ACCESS_DENIED');

    expect(calls).toHaveLength(1);
    expect(gateway!.log[1].authorization).toEqual({ kind: 'policy', cached: true, allowed: false });
  });

  it('caches a policy that denies the first route and allows a later one', async () => {
    const { calls } = await withAuthorizer(itemsOnly, { ttl: 300 });

    await expectGatewayResponse(await get('/secret', bearer('a')), 'ACCESS_DENIED');
    expect((await get('/items', bearer('a'))).status).toBe(200);

    expect(calls).toHaveLength(1);
  });

  it('invokes the authorizer again after the TTL', async () => {
    let now = 1_000_000;
    const { calls } = await withAuthorizer(itemsOnly, { ttl: 60, now: () => now });

    await get('/items', bearer('a'));
    now += 59_999;
    await get('/items', bearer('a'));
    now += 1;
    await get('/items', bearer('a'));

    expect(calls).toHaveLength(2);
  });

  it('does not cache 401 outcomes', async () => {
    const { calls } = await withAuthorizer(
      async () => {
        throw new Error('Unauthorized');
      },
      { ttl: 300 },
    );

    await get('/items', bearer('a'));
    await get('/items', bearer('a'));

    expect(calls).toHaveLength(2);
  });

  it('does not cache failures or invalid results', async () => {
    let attempt = 0;
    const { calls } = await withAuthorizer(
      async () => {
        attempt += 1;
        if (attempt === 1) throw new Error('network down');
        if (attempt === 2) return { principalId: 'p', policyDocument: policy({ Effect: 'Allow', Resource: '*' }), context: { a: [] } };
        return itemsOnly();
      },
      { ttl: 300 },
    );

    expect((await get('/items', bearer('a'))).status).toBe(503);
    expect((await get('/items', bearer('a'))).status).toBe(503);
    expect((await get('/items', bearer('a'))).status).toBe(200);
    expect((await get('/items', bearer('a'))).status).toBe(200);

    expect(calls).toHaveLength(3);
  });
});

describe('integration', () => {
  it('passes principalId and the context as strings', async () => {
    await withAuthorizer(async () => ({
      principalId: 'user-1',
      policyDocument: policy({ Effect: 'Allow', Resource: '*' }),
      context: { sub: 'user-1', admin: true, level: 3, ratio: 0.5, name: '' },
    }));

    const response = await get('/items', bearer('t'));

    const event = (await response.json()) as APIGatewayProxyEvent;
    expect(event.requestContext.authorizer).toEqual({
      principalId: 'user-1',
      sub: 'user-1',
      admin: 'true',
      level: '3',
      ratio: '0.5',
      name: '',
    });
  });

  it('builds the proxy event of the request', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    // node:http sends each value of a repeated header on its own line, while fetch would join them.
    const response = await rawRequest('/public?a=1&b=x&b=y%20z', {
      headers: { 'X-Custom': ['one', 'two'], 'User-Agent': 'gateway-test' },
    });

    const event = JSON.parse(response.body) as APIGatewayProxyEvent;
    expect(event.resource).toBe('/public');
    expect(event.path).toBe('/public');
    expect(event.httpMethod).toBe('GET');
    expect(event.queryStringParameters).toEqual({ a: '1', b: 'y z' });
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1'], b: ['x', 'y z'] });
    expect(event.headers['X-Custom']).toBe('two');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one', 'two']);
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
    expect(event.pathParameters).toBeNull();
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.stage).toBe('local');
    expect(event.requestContext.path).toBe('/local/public');
    expect(event.requestContext.resourcePath).toBe('/public');
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
    expect(event.requestContext.identity.userAgent).toBe('gateway-test');
    expect(event.requestContext.requestId).toBe(response.headers['x-amzn-requestid']);
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.requestContext).not.toHaveProperty('authorizer');
  });

  it('gives null query parameters when there are none', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    const event = (await (await fetch(`${gateway.url}/public`)).json()) as APIGatewayProxyEvent;

    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('passes a JSON body as text', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    const response = await fetch(`${gateway.url}/public`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"name":"Zoë"}',
    });

    const event = (await response.json()) as APIGatewayProxyEvent;
    expect(event.body).toBe('{"name":"Zoë"}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes a binary body as base64', async () => {
    gateway = await startGateway({ authorizer: allowEverything });
    const bytes = Buffer.from([0, 1, 2, 255, 254]);

    const response = await fetch(`${gateway.url}/public`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });

    const event = (await response.json()) as APIGatewayProxyEvent;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
  });

  it('answers 413 for a body over the limit', async () => {
    const echo = jest.fn();
    gateway = await startGateway({
      authorizer: allowEverything,
      maxBodyBytes: 1024,
      handlers: { echo, crash: jest.fn(), custom: jest.fn() },
    });

    const response = await fetch(`${gateway.url}/public`, { method: 'POST', body: 'x'.repeat(1025) });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Too Long' });
    expect(echo).not.toHaveBeenCalled();
  });

  it('accepts a body of exactly the limit', async () => {
    gateway = await startGateway({ authorizer: allowEverything, maxBodyBytes: 1024 });

    const response = await fetch(`${gateway.url}/public`, { method: 'POST', body: 'x'.repeat(1024) });

    expect(response.status).toBe(200);
  });

  it('answers 502 when the handler throws', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    const response = await fetch(`${gateway.url}/crash`);

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
    expect(gateway.log[0].note).toBe('handler crash failed: Error: handler crashed');
    expect(gateway.errors).toEqual([expect.stringContaining('Handler crash failed for request')]);
  });

  it.each([
    ['undefined', undefined],
    ['a string', 'ok'],
    ['a string status code', { statusCode: '200', body: 'x' }],
    ['a status code out of range', { statusCode: 600 }],
    ['an object body', { statusCode: 200, body: { ok: true } }],
    ['a header object value', { statusCode: 200, headers: { 'X-A': { b: 1 } } }],
    ['a multi-value header that is not a list', { statusCode: 200, multiValueHeaders: { 'X-A': 'b' } }],
    ['a header with a line break', { statusCode: 200, headers: { 'X-A': 'a\r\nSet-Cookie: x=1' } }],
  ])('answers 502 when the handler returns %s', async (_case, result) => {
    gateway = await startGateway({ authorizer: allowEverything, handlers: { echo: async () => result, crash: jest.fn(), custom: jest.fn() } });

    const response = await fetch(`${gateway.url}/public`);

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it('answers 504 when the handler does not finish in time', async () => {
    gateway = await startGateway({
      authorizer: allowEverything,
      integrationTimeoutMs: 50,
      handlers: { echo: () => new Promise(() => undefined), crash: jest.fn(), custom: jest.fn() },
    });

    const response = await fetch(`${gateway.url}/public`);

    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ message: 'Endpoint request timed out' });
  });

  it('maps headers, multi-value headers and a base64 body', async () => {
    const result = {
      statusCode: 201,
      headers: { 'Content-Type': 'image/png', 'X-Single': 'only', 'X-Both': 'from-headers', 'X-Number': 5 },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-Both': ['m1', 'm2'] },
      body: Buffer.from([137, 80, 78, 71]).toString('base64'),
      isBase64Encoded: true,
    };
    gateway = await startGateway({ authorizer: allowEverything, handlers: { echo: async () => result, crash: jest.fn(), custom: jest.fn() } });

    const response = await fetch(`${gateway.url}/public`);

    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-single')).toBe('only');
    expect(response.headers.get('x-number')).toBe('5');
    expect(response.headers.get('x-both')).toBe('m1, m2');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
  });

  it('labels a response without content type as JSON', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    const response = await fetch(`${gateway.url}/custom`);

    expect(response.status).toBe(204);
    expect(response.headers.get('content-type')).toBe('application/json');
  });
});

describe('routing', () => {
  it.each([
    ['an unknown path', 'GET', '/nothing'],
    ['a known path with another method', 'DELETE', '/items'],
    ['a path with a trailing slash', 'GET', '/public/'],
    ['a path with dot segments', 'GET', '/nothing/../public'],
    ['a path that looks like a host', 'GET', '//example.test/public'],
  ])('answers Missing Authentication Token for %s', async (_case, method, path) => {
    const { calls } = await withAuthorizer(allowEverything);

    const response = await rawRequest(path, { method, headers: { Authorization: bearer('t') } });

    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual(GATEWAY_RESPONSES.MISSING_AUTHENTICATION_TOKEN.body);
    expect(calls).toHaveLength(0);
  });

  it('answers a CORS preflight on a known path with its methods', async () => {
    const { calls } = await withAuthorizer(allowEverything);

    const response = await fetch(`${gateway!.url}/public`, { method: 'OPTIONS' });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(calls).toHaveLength(0);
  });

  it('answers a preflight on an unknown path with Missing Authentication Token', async () => {
    await withAuthorizer(allowEverything);

    await expectGatewayResponse(await fetch(`${gateway!.url}/nothing`, { method: 'OPTIONS' }), 'MISSING_AUTHENTICATION_TOKEN');
  });
});

describe('request log', () => {
  it('attributes each decision to its own request under concurrency', async () => {
    // The first request's authorizer logs its decision only after the second request finished.
    let firstStarted: () => void = () => undefined;
    const firstWaiting = new Promise<void>((resolve) => {
      firstStarted = resolve;
    });
    let releaseFirst: () => void = () => undefined;
    const firstMayFinish = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });

    await withAuthorizer(async (event) => {
      if (tokenName(event) === 'first') {
        firstStarted();
        await firstMayFinish;
        logDecision({ decision: 'unauthorized', reason: 'expired', coldStart: false });
        throw new Error('Unauthorized');
      }
      logDecision({ decision: 'allow', reason: 'ok', sub: 'second', coldStart: false });
      return allowEverything();
    });

    const first = get('/items', bearer('first'));
    await firstWaiting;
    const secondResponse = await get('/items', bearer('second'));
    releaseFirst();
    const firstResponse = await first;

    expect(firstResponse.status).toBe(401);
    expect(secondResponse.status).toBe(200);
    expect(gateway!.log.map((entry) => [entry.statusCode, entry.decision?.reason])).toEqual([
      [200, 'ok'],
      [401, 'expired'],
    ]);
  });

  it('logs method, path, status and latency', async () => {
    gateway = await startGateway({ authorizer: allowEverything });

    await fetch(`${gateway.url}/public?secret=1`);

    expect(gateway.log).toEqual([
      expect.objectContaining({ method: 'GET', path: '/public', statusCode: 200, latencyMs: expect.any(Number) }),
    ]);
  });
});
