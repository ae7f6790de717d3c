import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import {
  type EmbeddedDynamoDb,
  ensureUsersTable,
  localDynamoDbClient,
  startEmbeddedDynamoDb,
} from '../../../infra/local/embedded-dynamodb';
import { seedUsers } from '../../../infra/local/seed-users';
import type { SeedUser } from '../../../infra/local/settings';
import { verifyPassword } from '../../../lambda/login/password';
import { UserStore } from '../../../lambda/login/user-store';

const TABLE = 'seed-test-users';

const demo: SeedUser = {
  email: 'demo@example.com',
  password: 'correct-horse-battery',
  scopes: ['profile'],
  defaultPassword: true,
  passwordSetting: 'LOCAL_USER_PASSWORD',
};

let dynamoDb: EmbeddedDynamoDb;
let client: DynamoDBClient;
let store: UserStore;

beforeAll(async () => {
  dynamoDb = await startEmbeddedDynamoDb();
  client = localDynamoDbClient(dynamoDb.endpoint);
  await ensureUsersTable(client, TABLE);
  store = new UserStore(client, TABLE);
});

afterAll(async () => {
  client.destroy();
  await dynamoDb.close();
});

describe('seedUsers', () => {
  it('creates, keeps, then resets a seeded user', async () => {
    expect(await seedUsers(store, [demo])).toEqual([{ email: 'demo@example.com', action: 'created' }]);
    const created = await store.getUser(demo.email);
    expect(created?.scopes).toEqual(['profile']);
    expect(await verifyPassword(demo.password, created!.passwordHash)).toBe(true);

    expect(await seedUsers(store, [demo])).toEqual([{ email: 'demo@example.com', action: 'unchanged' }]);
    expect((await store.getUser(demo.email))?.userId).toBe(created!.userId);

    await store.setScopes(demo.email, ['admin']);
    await store.setPassword(demo.email, 'another-password-1');
    expect(await seedUsers(store, [demo])).toEqual([{ email: 'demo@example.com', action: 'reset' }]);

    const reset = await store.getUser(demo.email);
    expect(reset?.userId).toBe(created!.userId);
    expect(reset?.scopes).toEqual(['profile']);
    expect(await verifyPassword(demo.password, reset!.passwordHash)).toBe(true);
  }, 60_000);

  it('clears the lockout of a seeded user', async () => {
    const policy = { maxFailedAttempts: 1, lockoutSeconds: 600, maxLockoutSeconds: 600 };
    await seedUsers(store, [demo]);
    await store.recordFailedAttempt(demo.email, new Date(), policy);
    expect(await store.lockUser(demo.email, new Date(), policy, 0)).toBeDefined();

    expect(await seedUsers(store, [demo])).toEqual([{ email: 'demo@example.com', action: 'reset' }]);

    const user = await store.getUser(demo.email);
    expect(user?.lockedUntil).toBeUndefined();
    expect(user?.failedAttempts).toBe(0);
  }, 60_000);
});
