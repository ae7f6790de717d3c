import nodeCrypto = require('node:crypto');
import { readFile } from 'node:fs/promises';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeProtectedHeader, jwtVerify } from 'jose';

import { localDynamoDbClient, startEmbeddedDynamoDb } from '../../../infra/local/embedded-dynamodb';
import { CURRENT_SCRYPT_PARAMETERS, hashPassword } from '../../../lambda/login/password';
import { createUser, type UserStore, UserStore as UserStoreClass } from '../../../lambda/login/user-store';
import { KeysUnavailableError } from '../../../lambda/shared/errors';
import { LOCAL_TOKEN_DEFAULTS } from '../../../lambda/shared/settings';
import {
  ALICE,
  buildHandler,
  freshStore,
  type LoginTestBed,
  loginEvent,
  ManualClock,
  responseBody,
  startLoginTestBed,
} from './fixtures';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let testBed: LoginTestBed;

beforeAll(async () => {
  testBed = await startLoginTestBed();
});

afterAll(async () => {
  await testBed.close();
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function currentKey(): Promise<{ kid: string; secret: Buffer }> {
  const content = JSON.parse(await readFile(testBed.keyFile, 'utf8')) as { versions: Array<{ kid: string; secret: string }> };
  return { kid: content.versions[0].kid, secret: Buffer.from(content.versions[0].secret, 'utf8') };
}

describe('POST /login success', () => {
  let store: UserStore;
  let userId: string;

  beforeAll(async () => {
    store = await freshStore(testBed);
    userId = (await createUser(store, ALICE)).userId;
  });

  it('returns an OAuth 2.0 token response', async () => {
    const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: ALICE.password }));

    expect(response.statusCode).toBe(200);
    const body = responseBody(response);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(LOCAL_TOKEN_DEFAULTS.tokenLifetimeSeconds);
    expect(typeof body.access_token).toBe('string');
  });

  it('sends no-cache and CORS headers', async () => {
    const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: ALICE.password }));

    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'Access-Control-Allow-Origin': '*',
    });
  });

  it('signs the token with the current key and the documented claims', async () => {
    const clock = new ManualClock();
    const response = await buildHandler(testBed, store, { clock })(
      loginEvent({ email: ALICE.email, password: ALICE.password }),
    );
    const token = responseBody(response).access_token as string;
    const key = await currentKey();

    const { payload, protectedHeader } = await jwtVerify(token, key.secret, {
      algorithms: ['HS256'],
      issuer: LOCAL_TOKEN_DEFAULTS.issuer,
      audience: LOCAL_TOKEN_DEFAULTS.audience,
      currentDate: clock.now(),
    });

    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: key.kid });
    expect(payload.sub).toBe(userId);
    expect(payload.sub).toMatch(UUID_PATTERN);
    expect(payload.email).toBe(ALICE.email);
    expect(payload.scope).toBe('read admin');
    expect(payload.iat).toBe(clock.epochSeconds());
    expect(payload.exp).toBe(clock.epochSeconds() + LOCAL_TOKEN_DEFAULTS.tokenLifetimeSeconds);
    expect(payload.jti).toMatch(UUID_PATTERN);
  });

  it('gives every token a new jti', async () => {
    const handler = buildHandler(testBed, store);
    const { secret } = await currentKey();
    const jtiOfNextLogin = async (): Promise<unknown> => {
      const response = await handler(loginEvent({ email: ALICE.email, password: ALICE.password }));
      return (await jwtVerify(responseBody(response).access_token as string, secret)).payload.jti;
    };

    expect(await jtiOfNextLogin()).not.toBe(await jtiOfNextLogin());
  });

  it('uses the configured token lifetime', async () => {
    const clock = new ManualClock();
    const response = await buildHandler(testBed, store, { clock, tokenLifetimeSeconds: 120 })(
      loginEvent({ email: ALICE.email, password: ALICE.password }),
    );
    const body = responseBody(response);
    const { payload } = await jwtVerify(body.access_token as string, (await currentKey()).secret, {
      currentDate: clock.now(),
    });

    expect(body.expires_in).toBe(120);
    expect((payload.exp as number) - (payload.iat as number)).toBe(120);
  });

  it('leaves out the scope claim for a user without scopes', async () => {
    const noScopes = await freshStore(testBed);
    await createUser(noScopes, { email: 'plain@example.com', password: ALICE.password });
    const response = await buildHandler(testBed, noScopes)(
      loginEvent({ email: 'plain@example.com', password: ALICE.password }),
    );
    const { payload } = await jwtVerify(responseBody(response).access_token as string, (await currentKey()).secret);

    expect(response.statusCode).toBe(200);
    expect(payload).not.toHaveProperty('scope');
  });
});

describe('POST /login email normalisation', () => {
  it('finds a user whatever the case and surrounding spaces', async () => {
    const store = await freshStore(testBed);
    await createUser(store, { email: '  Carol@Example.COM ', password: ALICE.password });

    const response = await buildHandler(testBed, store)(
      loginEvent({ email: ' CAROL@example.com\t', password: ALICE.password }),
    );
    const { payload } = await jwtVerify(responseBody(response).access_token as string, (await currentKey()).secret);

    expect(response.statusCode).toBe(200);
    expect(payload.email).toBe('carol@example.com');
    expect(await store.getUser('carol@example.com')).toBeDefined();
  });
});

describe('POST /login rejections', () => {
  let store: UserStore;

  beforeAll(async () => {
    store = await freshStore(testBed);
    await createUser(store, ALICE);
    await createUser(store, { email: 'locked@example.com', password: ALICE.password });
    const clock = new ManualClock();
    const handler = buildHandler(testBed, store, { clock, lockout: { maxFailedAttempts: 1 } });
    await handler(loginEvent({ email: 'locked@example.com', password: 'wrong password' }));
    expect((await store.getUser('locked@example.com'))?.lockedUntil).toBeGreaterThan(clock.epochSeconds());
  });

  /** Runs one login and records the scrypt calls and DynamoDB commands it made. */
  async function observedLogin(email: string, password: string) {
    const scrypt = jest.spyOn(nodeCrypto, 'scrypt');
    const send = jest.spyOn(testBed.client, 'send');
    const response = await buildHandler(testBed, store, { clock: new ManualClock() })(loginEvent({ email, password }));
    const work = {
      scryptCalls: scrypt.mock.calls.length,
      commands: send.mock.calls.map(([command]) => command.constructor.name),
    };
    scrypt.mockRestore();
    send.mockRestore();
    return { response, work };
  }

  it('treats wrong password, unknown email and lock alike', async () => {
    const wrongPassword = await observedLogin(ALICE.email, 'not the password');
    const unknownEmail = await observedLogin('nobody@example.com', ALICE.password);
    const lockedAccount = await observedLogin('locked@example.com', ALICE.password);

    expect(wrongPassword.response.statusCode).toBe(401);
    expect(wrongPassword.response.headers).toMatchObject({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    expect(unknownEmail.response).toEqual(wrongPassword.response);
    expect(lockedAccount.response).toEqual(wrongPassword.response);

    expect(wrongPassword.work).toEqual({ scryptCalls: 1, commands: ['GetItemCommand', 'UpdateItemCommand'] });
    expect(unknownEmail.work).toEqual(wrongPassword.work);
    expect(lockedAccount.work).toEqual(wrongPassword.work);
  });

  it('creates no item for an unknown email', async () => {
    await observedLogin('ghost@example.com', ALICE.password);

    expect(await store.getUser('ghost@example.com')).toBeUndefined();
  });

  it('rejects a stored hash that cannot be parsed', async () => {
    const brokenStore = await freshStore(testBed);
    const user = await createUser(brokenStore, { email: 'broken@example.com', password: ALICE.password });
    await brokenStore.deleteUser(user.email);
    await brokenStore.addUser({ ...user, passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' });

    const response = await buildHandler(testBed, brokenStore)(
      loginEvent({ email: user.email, password: ALICE.password }),
    );

    expect(response.statusCode).toBe(401);
    expect((await brokenStore.getUser(user.email))?.failedAttempts).toBe(1);
  });
});

describe('POST /login lockout', () => {
  const wrong = (email: string) => loginEvent({ email, password: 'wrong password!' });
  const right = (email: string) => loginEvent({ email, password: ALICE.password });

  it('locks after the maximum failures until the lockout ends', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const clock = new ManualClock();
    const handler = buildHandler(testBed, store, { clock });

    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await handler(wrong(ALICE.email))).statusCode).toBe(401);
    }
    const locked = await store.getUser(ALICE.email);
    expect(locked?.lockedUntil).toBe(clock.epochSeconds() + 60);
    expect(locked?.failedAttempts).toBe(0);
    expect(locked?.lockouts).toBe(1);

    clock.advanceSeconds(59);
    expect((await handler(right(ALICE.email))).statusCode).toBe(401);

    clock.advanceSeconds(1);
    expect((await handler(right(ALICE.email))).statusCode).toBe(200);
    const unlocked = await store.getUser(ALICE.email);
    expect(unlocked?.lockedUntil).toBeUndefined();
    expect(unlocked?.lockouts).toBe(0);
  });

  it('does not lock before the maximum', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const handler = buildHandler(testBed, store, { clock: new ManualClock(), lockout: { maxFailedAttempts: 3 } });

    await handler(wrong(ALICE.email));
    await handler(wrong(ALICE.email));

    expect((await store.getUser(ALICE.email))?.failedAttempts).toBe(2);
    expect((await handler(right(ALICE.email))).statusCode).toBe(200);
    expect((await store.getUser(ALICE.email))?.failedAttempts).toBe(0);
  });

  it('doubles each further lockout up to the cap', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const clock = new ManualClock();
    const handler = buildHandler(testBed, store, {
      clock,
      lockout: { maxFailedAttempts: 2, lockoutSeconds: 60, maxLockoutSeconds: 200 },
    });

    const lockoutLengths: number[] = [];
    for (let lockout = 0; lockout < 3; lockout += 1) {
      await handler(wrong(ALICE.email));
      await handler(wrong(ALICE.email));
      const lockedUntil = (await store.getUser(ALICE.email))?.lockedUntil ?? 0;
      lockoutLengths.push(lockedUntil - clock.epochSeconds());
      clock.advanceSeconds(lockedUntil - clock.epochSeconds());
    }

    expect(lockoutLengths).toEqual([60, 120, 200]);
    expect((await store.getUser(ALICE.email))?.lockouts).toBe(3);
  });

  it('keeps concurrent failures within the limit', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const clock = new ManualClock();
    const handler = buildHandler(testBed, store, { clock });
    const logins = 12;
    // Holds every scrypt result until all logins have one, so their DynamoDB writes race each other.
    const realScrypt = nodeCrypto.scrypt;
    const heldCallbacks: Array<() => void> = [];
    jest.spyOn(nodeCrypto, 'scrypt').mockImplementation(((
      password: nodeCrypto.BinaryLike,
      salt: nodeCrypto.BinaryLike,
      keyLength: number,
      options: nodeCrypto.ScryptOptions,
      callback: (error: Error | null, key: Buffer) => void,
    ) => {
      realScrypt(password, salt, keyLength, options, (error, key) => {
        heldCallbacks.push(() => callback(error, key));
        if (heldCallbacks.length === logins) for (const release of heldCallbacks.splice(0)) release();
      });
    }) as typeof nodeCrypto.scrypt);
    const recordFailedAttempt = jest.spyOn(UserStoreClass.prototype, 'recordFailedAttempt');

    const responses = await Promise.all(Array.from({ length: logins }, () => handler(wrong(ALICE.email))));
    const results = await Promise.all(recordFailedAttempt.mock.results.map((result) => result.value));

    expect(responses.map((response) => response.statusCode)).toEqual(Array(logins).fill(401));
    expect(results.filter((result) => result.counted)).toHaveLength(5);
    const user = await store.getUser(ALICE.email);
    expect(user?.lockouts).toBe(1);
    expect(user?.failedAttempts).toBe(0);
    expect(user?.lockedUntil).toBe(clock.epochSeconds() + 60);
    jest.restoreAllMocks();
    expect((await handler(right(ALICE.email))).statusCode).toBe(401);
  });

  it('locks an account whose lock write was never made', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    await testBed.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: { email: { S: ALICE.email } },
        UpdateExpression: 'SET failedAttempts = :max',
        ExpressionAttributeValues: { ':max': { N: '5' } },
      }),
    );
    const clock = new ManualClock();

    const response = await buildHandler(testBed, store, { clock })(right(ALICE.email));

    expect(response.statusCode).toBe(401);
    const user = await store.getUser(ALICE.email);
    expect(user?.lockedUntil).toBe(clock.epochSeconds() + 60);
    expect(user?.failedAttempts).toBe(0);
  });
});

describe('POST /login hash upgrade', () => {
  const lowParameters = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

  it('re-hashes a low-parameter hash on a successful login', async () => {
    const store = await freshStore(testBed);
    const user = await createUser(store, ALICE);
    await store.deleteUser(user.email);
    await store.addUser({ ...user, passwordHash: await hashPassword(ALICE.password, lowParameters) });
    const handler = buildHandler(testBed, store);

    expect((await handler(loginEvent({ email: ALICE.email, password: ALICE.password }))).statusCode).toBe(200);

    const upgraded = (await store.getUser(ALICE.email))?.passwordHash ?? '';
    expect(upgraded).toMatch(new RegExp(`^\\$scrypt\\$ln=${Math.log2(CURRENT_SCRYPT_PARAMETERS.N)},r=8,p=1\\$`));
    expect((await handler(loginEvent({ email: ALICE.email, password: ALICE.password }))).statusCode).toBe(200);
    expect((await store.getUser(ALICE.email))?.passwordHash).toBe(upgraded);
  });

  it('keeps a low-parameter hash after a wrong password', async () => {
    const store = await freshStore(testBed);
    const user = await createUser(store, ALICE);
    const lowHash = await hashPassword(ALICE.password, lowParameters);
    await store.deleteUser(user.email);
    await store.addUser({ ...user, passwordHash: lowHash });

    const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: 'wrong password' }));

    expect(response.statusCode).toBe(401);
    expect((await store.getUser(ALICE.email))?.passwordHash).toBe(lowHash);
  });
});

describe('POST /login malformed requests', () => {
  let store: UserStore;

  beforeAll(async () => {
    store = await freshStore(testBed);
  });

  const oversizedBody = JSON.stringify({ email: ALICE.email, password: 'x', padding: 'y'.repeat(4096) });
  const cases: Array<[string, ReturnType<typeof loginEvent>, RegExp]> = [
    ['missing body', loginEvent(null), /body is missing/],
    ['empty body', loginEvent(''), /body is missing/],
    ['body that is not JSON', loginEvent('email=a@b.c&password=x'), /not valid JSON/],
    ['truncated JSON', loginEvent('{"email": "a@example.com"'), /not valid JSON/],
    ['JSON array', loginEvent([ALICE.email, ALICE.password]), /must be a JSON object/],
    ['JSON null', loginEvent('null'), /must be a JSON object/],
    ['JSON string', loginEvent('"alice"'), /must be a JSON object/],
    ['missing email', loginEvent({ password: ALICE.password }), /"email" is missing/],
    ['null email', loginEvent({ email: null, password: ALICE.password }), /"email" is missing/],
    ['missing password', loginEvent({ email: ALICE.email }), /"password" is missing/],
    ['numeric email', loginEvent({ email: 42, password: ALICE.password }), /"email" must be a string/],
    ['object password', loginEvent({ email: ALICE.email, password: { $ne: '' } }), /"password" must be a string/],
    ['array password', loginEvent({ email: ALICE.email, password: ['x'] }), /"password" must be a string/],
    ['email without @', loginEvent({ email: 'alice.example.com', password: 'x' }), /not a valid email address/],
    ['email with spaces inside', loginEvent({ email: 'al ice@example.com', password: 'x' }), /not a valid email/],
    ['blank email', loginEvent({ email: '   ', password: 'x' }), /not a valid email address/],
    ['email over 254 characters', loginEvent({ email: `${'a'.repeat(250)}@ex.com`, password: 'x' }), /longer than 254/],
    ['empty password', loginEvent({ email: ALICE.email, password: '' }), /"password" must not be empty/],
    ['password of 129 characters', loginEvent({ email: ALICE.email, password: 'p'.repeat(129) }), /longer than 128/],
    ['body over 4096 bytes', loginEvent(oversizedBody), /larger than 4096 bytes/],
    [
      'base64 body over 4096 bytes',
      loginEvent(Buffer.from(oversizedBody).toString('base64'), { isBase64Encoded: true }),
      /larger than 4096 bytes/,
    ],
    ['invalid base64 body', loginEvent('not base64!', { isBase64Encoded: true }), /not valid base64/],
    [
      'base64 body that is not UTF-8',
      loginEvent(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), { isBase64Encoded: true }),
      /not valid UTF-8/,
    ],
  ];

  it.each(cases)('rejects %s with 400', async (_name, event, message) => {
    const scrypt = jest.spyOn(nodeCrypto, 'scrypt');
    const send = jest.spyOn(testBed.client, 'send');

    const response = await buildHandler(testBed, store)(event);

    expect(response.statusCode).toBe(400);
    expect(responseBody(response).message).toMatch(message);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    expect(scrypt).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
  });

  it('accepts a body of exactly 4096 bytes', async () => {
    const fields = { email: 'nobody@example.com', password: 'x', padding: '' };
    const padding = 'é'.repeat((4096 - Buffer.byteLength(JSON.stringify(fields))) / 2);
    const body = JSON.stringify({ ...fields, padding });
    expect(Buffer.byteLength(body)).toBe(4096);

    const response = await buildHandler(testBed, store)(loginEvent(body));

    expect(response.statusCode).toBe(401);
  });

  it('counts password length in characters, not UTF-16 units', async () => {
    const emojiPassword = '🔑'.repeat(128);
    const emojiStore = await freshStore(testBed);
    await createUser(emojiStore, { email: ALICE.email, password: emojiPassword });
    const handler = buildHandler(testBed, emojiStore);

    const accepted = await handler(loginEvent({ email: ALICE.email, password: emojiPassword }));
    const rejected = await handler(loginEvent({ email: ALICE.email, password: `${emojiPassword}🔑` }));

    expect(accepted.statusCode).toBe(200);
    expect(rejected.statusCode).toBe(400);
  });

  it('accepts a base64-encoded body', async () => {
    const base64Store = await freshStore(testBed);
    await createUser(base64Store, ALICE);
    const body = Buffer.from(JSON.stringify({ email: ALICE.email, password: ALICE.password })).toString('base64');

    const response = await buildHandler(testBed, base64Store)(loginEvent(body, { isBase64Encoded: true }));

    expect(response.statusCode).toBe(200);
  });
});

describe('POST /login failures of dependencies', () => {
  it('returns 503 when DynamoDB is unreachable', async () => {
    const stopped = await startEmbeddedDynamoDb();
    const client = localDynamoDbClient(stopped.endpoint);
    await stopped.close();
    const store = new UserStoreClass(client, 'users-test');

    const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: ALICE.password }));
    client.destroy();

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '1', 'Content-Type': 'application/json' });
    expect(responseBody(response)).toEqual({ message: 'Login is temporarily unavailable; retry later' });
  });

  it('returns 503 without signing key', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const signingKeys = {
      get: () => Promise.reject(new KeysUnavailableError('key file is missing')),
    };

    const response = await buildHandler(testBed, store, { signingKeys })(
      loginEvent({ email: ALICE.email, password: ALICE.password }),
    );

    expect(response.statusCode).toBe(503);
    expect(response.body).not.toMatch(/access_token/);
  });

  it('returns 500 for unexpected errors', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);
    const signingKeys = { get: () => Promise.reject(new TypeError('bug')) };

    const response = await buildHandler(testBed, store, { signingKeys })(
      loginEvent({ email: ALICE.email, password: ALICE.password }),
    );

    expect(response.statusCode).toBe(500);
    expect(responseBody(response)).toEqual({ message: 'Internal server error' });
  });
});

describe('token header', () => {
  it('names the current key version in kid', async () => {
    const store = await freshStore(testBed);
    await createUser(store, ALICE);

    const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: ALICE.password }));

    expect(decodeProtectedHeader(responseBody(response).access_token as string).kid).toBe((await currentKey()).kid);
  });
});
