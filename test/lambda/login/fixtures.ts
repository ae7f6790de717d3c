import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import {
  type EmbeddedDynamoDb,
  ensureUsersTable,
  localDynamoDbClient,
  startEmbeddedDynamoDb,
} from '../../../infra/local/embedded-dynamodb';
import { createLoginHandler, type LoginHandler, type LoginHandlerOptions } from '../../../lambda/login/create-handler';
import { LOCKOUT_DEFAULTS, type LockoutPolicy } from '../../../lambda/login/lockout';
import { createDummyPasswordHash } from '../../../lambda/login/password';
import { UserStore } from '../../../lambda/login/user-store';
import { LOCAL_TOKEN_DEFAULTS } from '../../../lambda/shared/settings';
import { ensureKeyFile, FileKeySource, SigningKeyCache } from '../../../lambda/shared/signing-keys';

/** Dynalite on 127.0.0.1, a users table and a signing key file in a temporary folder. */
export interface LoginTestBed {
  readonly dynamoDb: EmbeddedDynamoDb;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly keyFile: string;
  readonly folder: string;
  close(): Promise<void>;
}

export async function startLoginTestBed(): Promise<LoginTestBed> {
  const folder = await mkdtemp(join(tmpdir(), 'login-test-'));
  const keyFile = join(folder, 'signing-keys.json');
  await ensureKeyFile(keyFile);
  const dynamoDb = await startEmbeddedDynamoDb();
  const client = localDynamoDbClient(dynamoDb.endpoint);
  const tableName = 'users-test';
  await ensureUsersTable(client, tableName);
  return {
    dynamoDb,
    client,
    tableName,
    keyFile,
    folder,
    close: async () => {
      client.destroy();
      await dynamoDb.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** Creates a users store on a new table of the test bed, so tests in one file do not see each other's users. */
export async function freshStore(testBed: LoginTestBed): Promise<UserStore> {
  const tableName = `users-${randomUUID()}`;
  await ensureUsersTable(testBed.client, tableName);
  return new UserStore(testBed.client, tableName);
}

/** A clock the test moves by hand. */
export class ManualClock {
  public constructor(private current: Date = new Date('2030-01-01T00:00:00Z')) {}

  public readonly now = (): Date => new Date(this.current);

  public advanceSeconds(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }

  public epochSeconds(): number {
    return Math.floor(this.current.getTime() / 1000);
  }
}

let sharedDummyHash: Promise<string> | undefined;

/** Builds a login handler on the test bed with the default settings unless overridden. */
export function buildHandler(
  testBed: LoginTestBed,
  store: UserStore,
  options: { clock?: ManualClock; lockout?: Partial<LockoutPolicy>; tokenLifetimeSeconds?: number } & Partial<
    Pick<LoginHandlerOptions, 'signingKeys'>
  > = {},
): LoginHandler {
  sharedDummyHash ??= createDummyPasswordHash();
  return createLoginHandler({
    store,
    lockout: { ...LOCKOUT_DEFAULTS, ...options.lockout },
    token: {
      issuer: LOCAL_TOKEN_DEFAULTS.issuer,
      audience: LOCAL_TOKEN_DEFAULTS.audience,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? LOCAL_TOKEN_DEFAULTS.tokenLifetimeSeconds,
    },
    signingKeys: options.signingKeys ?? new SigningKeyCache(new FileKeySource(testBed.keyFile), { refreshIntervalMs: 0 }),
    dummyPasswordHash: sharedDummyHash,
    now: options.clock?.now,
  });
}

/** Builds a `POST /login` proxy event. A `body` that is not a string or null is sent as JSON. */
export function loginEvent(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    body: typeof body === 'string' || body === null ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    httpMethod: 'POST',
    isBase64Encoded: false,
    path: '/login',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    resource: '/login',
    ...overrides,
  };
}

/** Parses the JSON body of a handler response. */
export function responseBody(response: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

export const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple', scopes: ['read', 'admin'] };
