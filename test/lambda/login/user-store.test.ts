import { LOCKOUT_DEFAULTS } from '../../../lambda/login/lockout';
import { verifyPassword } from '../../../lambda/login/password';
import {
  createUser,
  InvalidUserInputError,
  parseScopeList,
  UserAlreadyExistsError,
  UserNotFoundError,
  type UserStore,
  validateScopes,
} from '../../../lambda/login/user-store';
import { ALICE, freshStore, type LoginTestBed, startLoginTestBed } from './fixtures';

const NOW = new Date('2030-01-01T00:00:00Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

let testBed: LoginTestBed;

beforeAll(async () => {
  testBed = await startLoginTestBed();
});

afterAll(async () => {
  await testBed.close();
});

describe('createUser', () => {
  let store: UserStore;

  beforeAll(async () => {
    store = await freshStore(testBed);
  });

  it('stores a normalised email, a UUID, a hash and the scopes', async () => {
    const created = await createUser(store, { ...ALICE, email: ' Alice@Example.com ' }, NOW);
    const stored = await store.getUser('alice@example.com');

    expect(stored).toEqual(created);
    expect(stored?.email).toBe('alice@example.com');
    expect(stored?.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored?.scopes).toEqual(['read', 'admin']);
    expect(stored).toMatchObject({ failedAttempts: 0, lockouts: 0, createdAt: NOW.toISOString() });
    expect(await verifyPassword(ALICE.password, stored?.passwordHash ?? '')).toBe(true);
  });

  it('rejects an email that exists in another letter case', async () => {
    await expect(createUser(store, { ...ALICE, email: 'ALICE@example.com' })).rejects.toThrow(UserAlreadyExistsError);
  });

  it.each([
    ['an invalid email', { email: 'alice', password: ALICE.password }, 'email'],
    ['a password of 11 characters', { email: 'new@example.com', password: 'p'.repeat(11) }, 'password'],
    ['a password of 129 characters', { email: 'new@example.com', password: 'p'.repeat(129) }, 'password'],
    ['a scope with a space', { email: 'new@example.com', password: ALICE.password, scopes: ['a b'] }, 'scopes'],
    ['a scope with a quote', { email: 'new@example.com', password: ALICE.password, scopes: ['a"b'] }, 'scopes'],
  ])('rejects %s', async (_name, user, field) => {
    await expect(createUser(store, user)).rejects.toMatchObject({ name: InvalidUserInputError.name, field });
    expect(await store.getUser('new@example.com')).toBeUndefined();
  });

  it('accepts passwords of 12 and 128 characters', async () => {
    await createUser(store, { email: 'twelve@example.com', password: 'p'.repeat(12) });
    await createUser(store, { email: 'max@example.com', password: 'p'.repeat(128) });

    expect(await store.getUser('twelve@example.com')).toBeDefined();
    expect(await store.getUser('max@example.com')).toBeDefined();
  });
});

describe('UserStore administration', () => {
  let store: UserStore;

  beforeAll(async () => {
    store = await freshStore(testBed);
    await createUser(store, { email: 'bob@example.com', password: ALICE.password, scopes: ['read'] });
    await createUser(store, ALICE);
  });

  it('lists users sorted by email without password hashes', async () => {
    const users = await store.listUsers();

    expect(users.map((user) => user.email)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(users[0]).not.toHaveProperty('passwordHash');
  });

  it('replaces scopes', async () => {
    await store.setScopes('BOB@example.com', ['write', 'admin', 'write']);

    expect((await store.getUser('bob@example.com'))?.scopes).toEqual(['write', 'admin']);
  });

  it('reports a missing user for every change', async () => {
    await expect(store.setScopes('nobody@example.com', [])).rejects.toThrow(UserNotFoundError);
    await expect(store.unlockUser('nobody@example.com')).rejects.toThrow(UserNotFoundError);
    await expect(store.deleteUser('nobody@example.com')).rejects.toThrow(UserNotFoundError);
    await expect(store.setPassword('nobody@example.com', ALICE.password)).rejects.toThrow(UserNotFoundError);
    expect(await store.getUser('nobody@example.com')).toBeUndefined();
  });

  it('sets a new password and clears the lockout state', async () => {
    await store.recordFailedAttempt('bob@example.com', NOW, { ...LOCKOUT_DEFAULTS, maxFailedAttempts: 1 });
    await store.lockUser('bob@example.com', NOW, { ...LOCKOUT_DEFAULTS, maxFailedAttempts: 1 }, 0);

    await store.setPassword('bob@example.com', 'a brand new password');

    const bob = await store.getUser('bob@example.com');
    expect(await verifyPassword('a brand new password', bob?.passwordHash ?? '')).toBe(true);
    expect(bob).toMatchObject({ failedAttempts: 0, lockouts: 0, lockedUntil: undefined });
  });

  it('deletes a user', async () => {
    await store.deleteUser('Bob@Example.com');

    expect(await store.getUser('bob@example.com')).toBeUndefined();
  });
});

describe('UserStore lockout writes', () => {
  const policy = { ...LOCKOUT_DEFAULTS, maxFailedAttempts: 3 };
  let store: UserStore;

  beforeEach(async () => {
    store = await freshStore(testBed);
    await createUser(store, ALICE);
  });

  it('counts concurrent failures up to the limit only', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.recordFailedAttempt(ALICE.email, NOW, policy)),
    );

    expect(results.filter((result) => result.counted)).toHaveLength(3);
    expect((await store.getUser(ALICE.email))?.failedAttempts).toBe(3);
  });

  it('applies one lock when concurrent requests try to lock', async () => {
    await Promise.all([1, 2, 3].map(() => store.recordFailedAttempt(ALICE.email, NOW, policy)));

    const lockedUntil = await Promise.all(Array.from({ length: 5 }, () => store.lockUser(ALICE.email, NOW, policy, 0)));

    expect(lockedUntil.filter((value) => value !== undefined)).toEqual([NOW_SECONDS + 60]);
    expect(await store.getUser(ALICE.email)).toMatchObject({ lockouts: 1, failedAttempts: 0 });
  });

  it('counts nothing for an unknown email and creates no item', async () => {
    const result = await store.recordFailedAttempt('ghost@example.com', NOW, policy);

    expect(result).toEqual({ counted: false });
    expect(await store.getUser('ghost@example.com')).toBeUndefined();
  });

  it('counts nothing while locked, and again once the lock ends', async () => {
    await Promise.all([1, 2, 3].map(() => store.recordFailedAttempt(ALICE.email, NOW, policy)));
    const lockedUntil = (await store.lockUser(ALICE.email, NOW, policy, 0)) ?? 0;

    const duringLock = await store.recordFailedAttempt(ALICE.email, new Date((lockedUntil - 1) * 1000), policy);
    const afterLock = await store.recordFailedAttempt(ALICE.email, new Date(lockedUntil * 1000), policy);

    expect(duringLock.counted).toBe(false);
    expect(afterLock).toEqual({ counted: true, failedAttempts: 1, lockouts: 1 });
  });

  it('rejects a login that raced a lockout', async () => {
    const user = await store.getUser(ALICE.email);
    await Promise.all([1, 2, 3].map(() => store.recordFailedAttempt(ALICE.email, NOW, policy)));
    await store.lockUser(ALICE.email, NOW, policy, 0);

    expect(await store.recordSuccessfulLogin(user!, NOW, policy)).toBe(false);
    expect((await store.getUser(ALICE.email))?.lockedUntil).toBe(NOW_SECONDS + 60);
  });

  it('rejects a login that raced a password change', async () => {
    const user = await store.getUser(ALICE.email);
    await store.setPassword(ALICE.email, 'a different password');

    expect(await store.recordSuccessfulLogin(user!, NOW, policy)).toBe(false);
  });

  it('clears the lockout state after a successful login', async () => {
    await store.recordFailedAttempt(ALICE.email, NOW, policy);
    const user = await store.getUser(ALICE.email);

    expect(await store.recordSuccessfulLogin(user!, NOW, policy)).toBe(true);
    expect(await store.getUser(ALICE.email)).toMatchObject({ failedAttempts: 0, lockouts: 0 });
  });
});

describe('scope lists', () => {
  it('parses a comma-separated list and drops blanks', () => {
    expect(parseScopeList(' read, admin ,,')).toEqual(['read', 'admin']);
    expect(parseScopeList('')).toEqual([]);
  });

  it('accepts RFC 6749 scope tokens such as URLs', () => {
    expect(validateScopes(['https://api.example.com/read', 'orders:write'])).toEqual([
      'https://api.example.com/read',
      'orders:write',
    ]);
  });

  it.each([['a b'], ['a\\b'], ['é'], ['']])('rejects %j', (scope) => {
    expect(() => validateScopes([scope])).toThrow(InvalidUserInputError);
  });
});
