import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { readLoginSettings } from '../../../lambda/login/settings';
import { createUser, type UserStore } from '../../../lambda/login/user-store';
import { ConfigurationError } from '../../../lambda/shared/errors';
import { ALICE, freshStore, type LoginTestBed, loginEvent, responseBody, startLoginTestBed } from './fixtures';

describe('readLoginSettings', () => {
  it('applies the defaults', () => {
    expect(readLoginSettings({ USERS_TABLE: 'users' })).toMatchObject({
      usersTable: 'users',
      lockout: { maxFailedAttempts: 5, lockoutSeconds: 60, maxLockoutSeconds: 3600 },
      token: { tokenLifetimeSeconds: 900, keyRefreshSeconds: 300 },
    });
  });

  it('reads every setting', () => {
    const settings = readLoginSettings({
      USERS_TABLE: 'arn:aws:dynamodb:eu-west-1:123456789012:table/users',
      LOGIN_MAX_FAILED_ATTEMPTS: '3',
      LOGIN_LOCKOUT_SECONDS: '30',
      LOGIN_MAX_LOCKOUT_SECONDS: '600',
      TOKEN_LIFETIME_SECONDS: '300',
    });

    expect(settings.usersTable).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/users');
    expect(settings.lockout).toEqual({ maxFailedAttempts: 3, lockoutSeconds: 30, maxLockoutSeconds: 600 });
    expect(settings.token.tokenLifetimeSeconds).toBe(300);
  });

  it.each([
    ['USERS_TABLE', {}],
    ['USERS_TABLE', { USERS_TABLE: '  ' }],
    ['USERS_TABLE', { USERS_TABLE: 'my table' }],
    ['LOGIN_MAX_FAILED_ATTEMPTS', { USERS_TABLE: 'users', LOGIN_MAX_FAILED_ATTEMPTS: '0' }],
    ['LOGIN_MAX_FAILED_ATTEMPTS', { USERS_TABLE: 'users', LOGIN_MAX_FAILED_ATTEMPTS: 'five' }],
    ['LOGIN_MAX_FAILED_ATTEMPTS', { USERS_TABLE: 'users', LOGIN_MAX_FAILED_ATTEMPTS: '101' }],
    ['LOGIN_LOCKOUT_SECONDS', { USERS_TABLE: 'users', LOGIN_LOCKOUT_SECONDS: '1.5' }],
    ['LOGIN_LOCKOUT_SECONDS', { USERS_TABLE: 'users', LOGIN_LOCKOUT_SECONDS: '0' }],
    ['LOGIN_MAX_LOCKOUT_SECONDS', { USERS_TABLE: 'users', LOGIN_LOCKOUT_SECONDS: '120', LOGIN_MAX_LOCKOUT_SECONDS: '60' }],
    ['TOKEN_LIFETIME_SECONDS', { USERS_TABLE: 'users', TOKEN_LIFETIME_SECONDS: '15m' }],
  ])('names %s when it is invalid', (setting, env) => {
    expect(() => readLoginSettings(env)).toThrow(ConfigurationError);
    expect(() => readLoginSettings(env)).toThrow(expect.objectContaining({ setting }));
  });
});

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const savedEnv = new Map<string, string | undefined>();

/** Sets environment variables until `restoreEnv`; the AWS SDK reads some of them at the first request. */
function setEnv(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

function restoreEnv(): void {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  savedEnv.clear();
}

/** Imports a fresh copy of the handler module with `env` set, as a new Lambda container would. */
function loadHandler(env: Record<string, string | undefined>): ProxyHandler {
  setEnv(env);
  let handler: ProxyHandler | undefined;
  jest.isolateModules(() => {
    handler = require('../../../lambda/login/handler').handler;
  });
  return handler!;
}

describe('login handler module', () => {
  let testBed: LoginTestBed;
  let store: UserStore;
  let baseEnv: Record<string, string | undefined>;

  beforeAll(async () => {
    testBed = await startLoginTestBed();
    store = await freshStore(testBed);
    await createUser(store, ALICE);
    baseEnv = {
      USERS_TABLE: store.tableName,
      SIGNING_KEY_FILE: testBed.keyFile,
      SIGNING_SECRET_ARN: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: testBed.dynamoDb.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: undefined,
      LOGIN_MAX_FAILED_ATTEMPTS: undefined,
      TOKEN_LIFETIME_SECONDS: undefined,
    };
  });

  afterEach(() => {
    restoreEnv();
  });

  afterAll(async () => {
    await testBed.close();
  });

  it.each([
    ['USERS_TABLE', { USERS_TABLE: undefined }],
    ['SIGNING_SECRET_ARN', { SIGNING_KEY_FILE: undefined }],
    ['TOKEN_LIFETIME_SECONDS', { TOKEN_LIFETIME_SECONDS: 'soon' }],
    ['LOGIN_MAX_FAILED_ATTEMPTS', { LOGIN_MAX_FAILED_ATTEMPTS: '-1' }],
  ])('throws a ConfigurationError naming %s at import', (setting, change) => {
    expect(() => loadHandler({ ...baseEnv, ...change })).toThrow(expect.objectContaining({ name: 'ConfigurationError', setting }));
  });

  it('logs in with the table, key file and endpoint from the environment', async () => {
    const handler = loadHandler({ ...baseEnv, TOKEN_LIFETIME_SECONDS: '600' });

    const response = await handler(loginEvent({ email: ALICE.email, password: ALICE.password }));

    expect(response.statusCode).toBe(200);
    expect(responseBody(response).expires_in).toBe(600);
  });

  it('applies LOGIN_MAX_FAILED_ATTEMPTS from the environment', async () => {
    const handler = loadHandler({ ...baseEnv, LOGIN_MAX_FAILED_ATTEMPTS: '1' });

    const response = await handler(loginEvent({ email: ALICE.email, password: 'wrong password' }));

    expect(response.statusCode).toBe(401);
    expect((await store.getUser(ALICE.email))?.lockouts).toBe(1);
  });
});

describe('login handler log', () => {
  let testBed: LoginTestBed;
  let store: UserStore;

  beforeAll(async () => {
    testBed = await startLoginTestBed();
    store = await freshStore(testBed);
    await createUser(store, ALICE);
  });

  afterEach(() => {
    restoreEnv();
  });

  afterAll(async () => {
    await testBed.close();
  });

  it('records reasons without passwords, tokens or unknown emails', async () => {
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      lines.push(String(chunk));
      return true;
    };
    const handler = loadHandler({
      USERS_TABLE: store.tableName,
      SIGNING_KEY_FILE: testBed.keyFile,
      SIGNING_SECRET_ARN: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: testBed.dynamoDb.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    // Powertools writes info lines to stdout and warnings and errors to stderr.
    const writes = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    let token: string;
    try {
      token = responseBody(await handler(loginEvent({ email: ALICE.email, password: ALICE.password }))).access_token as string;
      await handler(loginEvent({ email: ALICE.email, password: 'wrong-password-1' }));
      await handler(loginEvent({ email: 'secret-person@example.com', password: 'wrong-password-2' }));
      await handler(loginEvent({ email: ALICE.email, password: 'wrong-password-3'.repeat(9) }));
    } finally {
      for (const write of writes) write.mockRestore();
    }

    const output = lines.join('');
    // Other lines, such as Node process warnings, are not from the logger.
    const records = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => [record.message, record.reason])).toEqual([
      ['Login succeeded', undefined],
      ['Login rejected', 'wrong_password'],
      ['Login rejected', 'unknown_email'],
      ['Invalid login request', 'invalid_request'],
    ]);
    for (const secretValue of [ALICE.password, 'wrong-password', token, token.split('.')[2], 'secret-person']) {
      expect(output).not.toContain(secretValue);
    }
  });
});
