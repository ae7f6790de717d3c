import { spawnSync } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

import { GATEWAY_RESPONSES, type GatewayResponseKind } from '../../infra/gateway-responses';
import { jwtPayload, withPayload } from './oidc-client';
import { type LocalGateway, startLocalGateway, stopLocalGateway } from './processes';

jest.setTimeout(60_000);

const DEMO = { email: 'demo@example.com', password: 'correct-horse-battery' };
const ADMIN = { email: 'admin@example.com', password: 'admin-horse-battery' };

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});

afterAll(async () => {
  await stopLocalGateway(gateway);
});

async function login(credentials: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${gateway.url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; token_type: string };
  expect(body.token_type).toBe('Bearer');
  return body.access_token;
}

function call(path: string, authorization?: string, method = 'GET'): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method, headers: authorization ? { Authorization: authorization } : {} });
}

/** Returns the current length of the gateway output. `logLine` searches the output after it. */
function outputMark(): number {
  return gateway.run.stdout.text.length;
}

/** Waits for a request log line matching `pattern` printed after `mark`. */
async function logLine(mark: number, pattern: RegExp): Promise<string> {
  const [line] = await gateway.run.waitForStdout(new RegExp(`^.*${pattern.source}.*$`, 'm'), mark);
  return line;
}

async function expectGatewayResponse(response: Response, kind: GatewayResponseKind) {
  const definition = GATEWAY_RESPONSES[kind];
  expect(response.status).toBe(definition.statusCode);
  for (const [name, value] of Object.entries(definition.headers)) expect(response.headers.get(name)).toBe(value);
  expect(await response.json()).toEqual(definition.body);
}

describe('npm start with local tokens', () => {
  it('serves the public health route', async () => {
    const response = await call('/health');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('returns the caller on GET /me after login', async () => {
    const token = await login(DEMO);

    const response = await call('/me', `Bearer ${token}`);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { sub: string; email: string; scopes: string[]; iss: string };
    expect(body.sub).toBe(jwtPayload(token).sub);
    expect(body.email).toBe(DEMO.email);
    expect(body.scopes).toEqual(['profile']);
    expect(body.iss).toBe('urn:jwt-authorizer:local');
  });

  it('denies a cached demo token on /admin', async () => {
    const token = await login(DEMO);
    expect((await call('/me', `Bearer ${token}`)).status).toBe(200);
    const mark = outputMark();

    const response = await call('/admin', `Bearer ${token}`);

    await expectGatewayResponse(response, 'ACCESS_DENIED');
    const line = await logLine(mark, /GET \/admin 403 \d+ ms {2}cached policy, policy denies the route/);
    expect(line).not.toContain(token);
  });

  it('allows a cached admin token on /admin', async () => {
    const token = await login(ADMIN);
    expect((await call('/me', `Bearer ${token}`)).status).toBe(200);
    const mark = outputMark();

    const response = await call('/admin', `Bearer ${token}`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Admin access granted', sub: jwtPayload(token).sub });
    await logLine(mark, /GET \/admin 200 \d+ ms {2}cached policy, policy allows the route/);
  });

  it('allows an uncached admin token on /admin', async () => {
    const token = await login(ADMIN);
    const mark = outputMark();

    expect((await call('/admin', `Bearer ${token}`)).status).toBe(200);
    await logLine(mark, /GET \/admin 200 \d+ ms {2}authorizer allow \(ok\), policy allows the route/);
  });

  it('answers 401 from the login handler for a wrong password', async () => {
    const response = await fetch(`${gateway.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: DEMO.email, password: 'not-the-password' }),
    });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it.each([
    ['no Authorization header', undefined],
    ['the Basic scheme', 'Basic ZGVtbzpkZW1v'],
    ['a token that is not a JWS', 'Bearer not-a-jwt'],
  ])('answers 401 without the authorizer for %s', async (_case, authorization) => {
    const response = await call('/me', authorization);

    await expectGatewayResponse(response, 'UNAUTHORIZED');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('logs requests rejected before the authorizer', async () => {
    const mark = outputMark();

    await call('/me', 'Basic ZGVtbzpkZW1v');

    await logLine(mark, /GET \/me 401 \d+ ms {2}no valid Bearer header, authorizer not invoked/);
  });

  it('answers 401 for a tampered token, with the reason in the log', async () => {
    const token = await login(DEMO);
    const tampered = withPayload(token, { scope: 'admin' });
    const mark = outputMark();

    const response = await call('/admin', `Bearer ${tampered}`);

    await expectGatewayResponse(response, 'UNAUTHORIZED');
    await logLine(mark, /GET \/admin 401 \d+ ms {2}authorizer unauthorized \(bad_signature\)/);
  });

  it('answers 403 Missing Authentication Token for an unknown route', async () => {
    await expectGatewayResponse(await call('/nothing'), 'MISSING_AUTHENTICATION_TOKEN');
    await expectGatewayResponse(await call('/me', undefined, 'DELETE'), 'MISSING_AUTHENTICATION_TOKEN');
  });

  it('answers a CORS preflight', async () => {
    const response = await call('/me', undefined, 'OPTIONS');

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET');
    expect(response.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
  });

  it('prints curl lines that work as printed in bash', async () => {
    const lines = gateway.run.stdout.text
      .split('\n')
      .filter((line) => /^ {2}(curl|TOKEN=|ADMIN_TOKEN=)/.test(line))
      .map((line) => line.trim());
    expect(lines).toHaveLength(6);

    // A newline after each curl output keeps the responses apart. The assignments print nothing.
    const script = ['set -euo pipefail', ...lines.map((line) => (line.startsWith('curl') ? `${line}; echo` : line))].join('\n');
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const outputs = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(outputs).toHaveLength(4);
    expect(outputs[0].token_type).toBe('Bearer');
    expect(outputs[1]).toMatchObject({ email: DEMO.email, scopes: ['profile'] });
    expect(outputs[2]).toEqual(GATEWAY_RESPONSES.ACCESS_DENIED.body);
    expect(outputs[3]).toMatchObject({ message: 'Admin access granted' });
  });

  it('writes the DynamoDB endpoint file while running', async () => {
    await expect(access(join(gateway.dataDir, 'dynamodb-endpoint'))).resolves.toBeUndefined();
  });
});

describe('npm start lifecycle', () => {
  it('stops on SIGINT, removes the endpoint file and keeps users across restarts', async () => {
    const first = await startLocalGateway();
    let second: LocalGateway | undefined;
    try {
      const firstSub = jwtPayload(await loginAt(first.url, DEMO)).sub;

      expect(await first.run.stop('SIGINT')).toBe(0);
      await expect(access(join(first.dataDir, 'dynamodb-endpoint'))).rejects.toThrow();

      second = await startLocalGateway({ DATA_DIR: first.dataDir });
      expect(jwtPayload(await loginAt(second.url, DEMO)).sub).toBe(firstSub);
      expect(second.run.stdout.text).toContain('demo@example.com  password correct-horse-battery');
    } finally {
      await stopLocalGateway(second, true);
      await stopLocalGateway(first);
    }
  });

  it('stops the gateway when only the npm process gets SIGTERM', async () => {
    const gateway = await startLocalGateway({}, true);
    try {
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);

      expect(await gateway.run.stop('SIGTERM')).toBe(0);

      await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
      await expect(access(join(gateway.dataDir, 'dynamodb-endpoint'))).rejects.toThrow();
    } finally {
      gateway.run.killGroup();
      await stopLocalGateway(gateway);
    }
  });
});

async function loginAt(url: string, credentials: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}
