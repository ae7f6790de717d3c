import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

import { USERS_TABLE_PARTITION_KEY } from '../shared/users-table';
import { isEmailAddress, MAX_EMAIL_LENGTH, normalizeEmail } from './email';
import { lockoutDurationSeconds, type LockoutPolicy } from './lockout';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordLength } from './password';

/**
 * The users table, shared by the login Lambda, the users CLI and the local seed.
 *
 * One item per user, keyed by the normalised email. Lockout state lives on the item, and every write that
 * changes it is a conditional update, so concurrent logins cannot count past the limit or clear a lock
 * that another request set.
 */

/** A user as stored. */
export interface UserRecord {
  /** Normalised (trimmed, lower-cased) email; the partition key. */
  readonly email: string;
  /** Random UUID made when the user is created; the token's `sub`. */
  readonly userId: string;
  /** PHC scrypt string (see `password.ts`). */
  readonly passwordHash: string;
  /** OAuth scopes written to the token's `scope` claim. */
  readonly scopes: readonly string[];
  /** Failed logins since the last success or lockout. */
  readonly failedAttempts: number;
  /** End of the current or last lockout, in epoch seconds. */
  readonly lockedUntil?: number;
  /** Lockouts since the last successful login; each one doubles the next lockout. */
  readonly lockouts: number;
  /** ISO 8601 timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A user without the password hash, as `listUsers` returns it. */
export type UserSummary = Omit<UserRecord, 'passwordHash'>;

export interface NewUser {
  readonly email: string;
  readonly password: string;
  readonly scopes?: readonly string[];
}

/** Shortest password `createUser` and `UserStore.setPassword` accept, in characters. */
export const MIN_NEW_PASSWORD_LENGTH = 12;

export class UserAlreadyExistsError extends Error {
  public override readonly name = 'UserAlreadyExistsError';

  public constructor(public readonly email: string) {
    super(`user ${email} already exists`);
  }
}

export class UserNotFoundError extends Error {
  public override readonly name = 'UserNotFoundError';

  public constructor(public readonly email: string) {
    super(`user ${email} not found`);
  }
}

/** An email, password or scope that a new or changed user cannot have. `field` names the input. */
export class InvalidUserInputError extends Error {
  public override readonly name = 'InvalidUserInputError';

  public constructor(
    public readonly field: 'email' | 'password' | 'scopes',
    message: string,
  ) {
    super(message);
  }
}

/** A DynamoDB call failed for a reason other than a failed condition, or returned an item with missing fields. */
export class UserStoreError extends Error {
  public override readonly name = 'UserStoreError';
}

/** Result of `UserStore.recordFailedAttempt`. */
export type FailedAttemptResult =
  /** The failure was counted; `failedAttempts` is the new count. */
  | { readonly counted: true; readonly failedAttempts: number; readonly lockouts: number }
  /** Nothing was written: the user does not exist, is locked, or already reached the limit. */
  | { readonly counted: false };

/** Parses a comma-separated scope list such as `read,admin`; blanks are dropped. */
export function parseScopeList(text: string): string[] {
  return text
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
}

// RFC 6749 section 3.3: a scope token is one or more printable ASCII characters other than space, `"` and `\`.
const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Checks each scope against the RFC 6749 scope-token grammar and returns them without duplicates. */
export function validateScopes(scopes: readonly string[]): string[] {
  for (const scope of scopes) {
    if (!SCOPE_TOKEN_PATTERN.test(scope)) {
      throw new InvalidUserInputError(
        'scopes',
        `invalid scope ${JSON.stringify(scope)}; a scope is printable ASCII without spaces, quotes or backslashes`,
      );
    }
  }
  return [...new Set(scopes)];
}

/** Checks the length of a new password: `MIN_NEW_PASSWORD_LENGTH` to `MAX_PASSWORD_LENGTH` characters. */
export function validateNewPassword(password: string): void {
  const length = passwordLength(password);
  if (length < MIN_NEW_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new InvalidUserInputError(
      'password',
      `password has ${length} characters; use ${MIN_NEW_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}`,
    );
  }
}

/** Normalises an email and checks its form. Returns the normalised email. */
export function validateEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (!isEmailAddress(normalized)) {
    throw new InvalidUserInputError(
      'email',
      `invalid email address ${JSON.stringify(email)}; expected name@domain of at most ${MAX_EMAIL_LENGTH} characters`,
    );
  }
  return normalized;
}

/**
 * Validates a new user, hashes the password and stores the user with a fresh `userId`.
 * Throws `InvalidUserInputError` for bad input and `UserAlreadyExistsError` when the email is taken.
 */
export async function createUser(store: UserStore, user: NewUser, now: Date = new Date()): Promise<UserRecord> {
  const email = validateEmail(user.email);
  validateNewPassword(user.password);
  const scopes = validateScopes(user.scopes ?? []);

  const record: UserRecord = {
    email,
    userId: randomUUID(),
    passwordHash: await hashPassword(user.password),
    scopes,
    failedAttempts: 0,
    lockouts: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await store.addUser(record);
  return record;
}

/** Data access to the users table. Every method normalises the email it receives. */
export class UserStore {
  public constructor(
    private readonly client: DynamoDBClient,
    public readonly tableName: string,
  ) {}

  /** Reads a user with a strongly consistent read, or returns undefined. */
  public async getUser(email: string): Promise<UserRecord | undefined> {
    const output = await this.call('GetItem', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: this.key(email), ConsistentRead: true }),
      ),
    );
    return output.Item ? toUserRecord(output.Item) : undefined;
  }

  /** Stores a new user. Throws `UserAlreadyExistsError` when an item with that email exists. */
  public async addUser(record: UserRecord): Promise<void> {
    const item: Record<string, AttributeValue> = {
      [USERS_TABLE_PARTITION_KEY]: { S: normalizeEmail(record.email) },
      userId: { S: record.userId },
      passwordHash: { S: record.passwordHash },
      scopes: { L: record.scopes.map((scope) => ({ S: scope })) },
      failedAttempts: { N: String(record.failedAttempts) },
      lockouts: { N: String(record.lockouts) },
      createdAt: { S: record.createdAt },
      updatedAt: { S: record.updatedAt },
    };
    if (record.lockedUntil !== undefined) item.lockedUntil = { N: String(record.lockedUntil) };

    const stored = await this.conditional('PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ...expression({ condition: 'attribute_not_exists(#email)' }),
        }),
      ),
    );
    if (!stored) throw new UserAlreadyExistsError(normalizeEmail(record.email));
  }

  /** Reads every user, sorted by email. The password hashes are not read. */
  public async listUsers(): Promise<UserSummary[]> {
    const users: UserSummary[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.call('Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
            ...expression({
              projection: '#email, #userId, #scopes, #failedAttempts, #lockedUntil, #lockouts, #createdAt, #updatedAt',
            }),
          }),
        ),
      );
      for (const item of output.Items ?? []) users.push(toUserSummary(item));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return users.sort((a, b) => a.email.localeCompare(b.email));
  }

  /** Deletes a user. Throws `UserNotFoundError` when there is none. */
  public async deleteUser(email: string): Promise<void> {
    const deleted = await this.conditional('DeleteItem', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(email),
          ...expression({ condition: 'attribute_exists(#email)' }),
        }),
      ),
    );
    if (!deleted) throw new UserNotFoundError(normalizeEmail(email));
  }

  /** Replaces a user's scopes. Throws `InvalidUserInputError` for a bad scope, `UserNotFoundError` for no user. */
  public async setScopes(email: string, scopes: readonly string[], now: Date = new Date()): Promise<void> {
    const validScopes = validateScopes(scopes);
    await this.updateExisting(email, {
      update: 'SET #scopes = :scopes, #updatedAt = :updatedAt',
      values: { ':scopes': { L: validScopes.map((scope) => ({ S: scope })) }, ':updatedAt': { S: now.toISOString() } },
    });
  }

  /**
   * Hashes and stores a new password for an existing user and clears the lockout state.
   * Throws `InvalidUserInputError` for a bad length, `UserNotFoundError` for no user.
   */
  public async setPassword(email: string, password: string, now: Date = new Date()): Promise<void> {
    validateNewPassword(password);
    const passwordHash = await hashPassword(password);
    await this.updateExisting(email, {
      update: `SET #passwordHash = :passwordHash, ${RESET_LOCKOUT_STATE}, #updatedAt = :updatedAt REMOVE #lockedUntil`,
      values: { ':passwordHash': { S: passwordHash }, ':zero': { N: '0' }, ':updatedAt': { S: now.toISOString() } },
    });
  }

  /** Clears the failed-login count, the lockout count and any lock. Throws `UserNotFoundError` for no user. */
  public async unlockUser(email: string, now: Date = new Date()): Promise<void> {
    await this.updateExisting(email, {
      update: `SET ${RESET_LOCKOUT_STATE}, #updatedAt = :updatedAt REMOVE #lockedUntil`,
      values: { ':zero': { N: '0' }, ':updatedAt': { S: now.toISOString() } },
    });
  }

  /**
   * Counts one failed login, unless the user does not exist, is locked at `now`, or already has
   * `maxFailedAttempts` failures. The check and the increment are one conditional update, so concurrent
   * failures never count past the limit. The caller locks the account when the limit is reached.
   */
  public async recordFailedAttempt(email: string, now: Date, policy: LockoutPolicy): Promise<FailedAttemptResult> {
    const output = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(email),
          ReturnValues: 'ALL_NEW',
          ...expression({
            update: 'SET #failedAttempts = if_not_exists(#failedAttempts, :zero) + :one, #updatedAt = :updatedAt',
            condition: `attribute_exists(#email) AND ${NOT_LOCKED} AND ${BELOW_LIMIT}`,
            values: {
              ':zero': { N: '0' },
              ':one': { N: '1' },
              ':now': { N: String(epochSeconds(now)) },
              ':max': { N: String(policy.maxFailedAttempts) },
              ':updatedAt': { S: now.toISOString() },
            },
          }),
        }),
      ),
    );
    if (!output?.Attributes) return { counted: false };
    const user = toUserRecord(output.Attributes);
    return { counted: true, failedAttempts: user.failedAttempts, lockouts: user.lockouts };
  }

  /**
   * Locks a user who has reached `maxFailedAttempts` failures, for `lockoutDurationSeconds(policy, previousLockouts)`,
   * and restarts the failure count. Writes nothing when another request changed the state first.
   * Returns the end of the lock in epoch seconds, or undefined when nothing was written.
   */
  public async lockUser(
    email: string,
    now: Date,
    policy: LockoutPolicy,
    previousLockouts: number,
  ): Promise<number | undefined> {
    const lockedUntil = epochSeconds(now) + lockoutDurationSeconds(policy, previousLockouts);
    const sameLockouts =
      previousLockouts === 0 ? '(attribute_not_exists(#lockouts) OR #lockouts = :previous)' : '#lockouts = :previous';
    const output = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(email),
          ...expression({
            update: 'SET #lockedUntil = :lockedUntil, #failedAttempts = :zero, #lockouts = :next, #updatedAt = :updatedAt',
            condition: `attribute_exists(#email) AND ${NOT_LOCKED} AND #failedAttempts >= :max AND ${sameLockouts}`,
            values: {
              ':lockedUntil': { N: String(lockedUntil) },
              ':zero': { N: '0' },
              ':previous': { N: String(previousLockouts) },
              ':next': { N: String(previousLockouts + 1) },
              ':now': { N: String(epochSeconds(now)) },
              ':max': { N: String(policy.maxFailedAttempts) },
              ':updatedAt': { S: now.toISOString() },
            },
          }),
        }),
      ),
    );
    return output ? lockedUntil : undefined;
  }

  /**
   * Clears the lockout state after a correct password, and stores `upgradedHash` when given. The write is
   * conditional on the user, its password hash and its lockout state being as `user` read them, so a login
   * that raced a lockout or a password change is rejected. Returns whether the write happened.
   */
  public async recordSuccessfulLogin(
    user: UserRecord,
    now: Date,
    policy: LockoutPolicy,
    upgradedHash?: string,
  ): Promise<boolean> {
    const setHash = upgradedHash === undefined ? '' : ', #passwordHash = :upgradedHash';
    const output = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(user.email),
          ...expression({
            update: `SET ${RESET_LOCKOUT_STATE}, #updatedAt = :updatedAt${setHash} REMOVE #lockedUntil`,
            condition: `#userId = :userId AND #passwordHash = :passwordHash AND ${NOT_LOCKED} AND ${BELOW_LIMIT}`,
            values: {
              ':zero': { N: '0' },
              ':userId': { S: user.userId },
              ':passwordHash': { S: user.passwordHash },
              ':now': { N: String(epochSeconds(now)) },
              ':max': { N: String(policy.maxFailedAttempts) },
              ':updatedAt': { S: now.toISOString() },
              ...(upgradedHash === undefined ? {} : { ':upgradedHash': { S: upgradedHash } }),
            },
          }),
        }),
      ),
    );
    return output !== undefined;
  }

  private key(email: string): Record<string, AttributeValue> {
    return { [USERS_TABLE_PARTITION_KEY]: { S: normalizeEmail(email) } };
  }

  private async updateExisting(
    email: string,
    change: { update: string; values: Record<string, AttributeValue> },
  ): Promise<void> {
    const updated = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(email),
          ...expression({ update: change.update, condition: 'attribute_exists(#email)', values: change.values }),
        }),
      ),
    );
    if (!updated) throw new UserNotFoundError(normalizeEmail(email));
  }

  /** Runs a DynamoDB call and wraps its errors in `UserStoreError`. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new UserStoreError(`DynamoDB ${operation} on table ${this.tableName} failed`, { cause: error });
    }
  }

  /** Runs a conditional DynamoDB write. Returns undefined when the condition failed. */
  private async conditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await send();
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw new UserStoreError(`DynamoDB ${operation} on table ${this.tableName} failed`, { cause: error });
    }
  }
}

/** Condition: no lock, or the lock ended at or before `:now`. */
const NOT_LOCKED = '(attribute_not_exists(#lockedUntil) OR #lockedUntil <= :now)';
/** Condition: fewer than `:max` failures counted. */
const BELOW_LIMIT = '(attribute_not_exists(#failedAttempts) OR #failedAttempts < :max)';
/** Update clause that restarts the failure and lockout counts; needs `:zero`. */
const RESET_LOCKOUT_STATE = '#failedAttempts = :zero, #lockouts = :zero';

const STORED_ATTRIBUTES = new Set([
  USERS_TABLE_PARTITION_KEY,
  'userId',
  'passwordHash',
  'scopes',
  'failedAttempts',
  'lockedUntil',
  'lockouts',
  'createdAt',
  'updatedAt',
]);

/**
 * Builds the expression parameters of a command. Every attribute is named through a `#name` placeholder
 * (so none can clash with a DynamoDB reserved word), and only the placeholders the expressions use are
 * sent, because DynamoDB rejects unused ones.
 */
function expression(parts: {
  update?: string;
  condition?: string;
  projection?: string;
  values?: Record<string, AttributeValue>;
}): {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  const text = [parts.update, parts.condition, parts.projection].filter(Boolean).join(' ');
  const names: Record<string, string> = {};
  for (const [placeholder, name] of text.matchAll(/#(\w+)/g)) {
    if (!STORED_ATTRIBUTES.has(name)) throw new Error(`unknown users table attribute ${name} in an expression`);
    names[placeholder] = name;
  }
  const values = Object.fromEntries(
    Object.entries(parts.values ?? {}).filter(([placeholder]) => new RegExp(`${placeholder}\\b`).test(text)),
  );
  return {
    UpdateExpression: parts.update,
    ConditionExpression: parts.condition,
    ProjectionExpression: parts.projection,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
  };
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function toUserSummary(item: Record<string, AttributeValue>): UserSummary {
  const text = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined || value === '') throw new UserStoreError(`users table item has no string attribute ${name}`);
    return value;
  };
  const count = (name: string): number => (item[name]?.N === undefined ? 0 : Number(item[name].N));
  return {
    email: text(USERS_TABLE_PARTITION_KEY),
    userId: text('userId'),
    scopes: (item.scopes?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S])),
    failedAttempts: count('failedAttempts'),
    lockedUntil: item.lockedUntil?.N === undefined ? undefined : Number(item.lockedUntil.N),
    lockouts: count('lockouts'),
    createdAt: item.createdAt?.S ?? '',
    updatedAt: item.updatedAt?.S ?? '',
  };
}

function toUserRecord(item: Record<string, AttributeValue>): UserRecord {
  const passwordHash = item.passwordHash?.S;
  if (passwordHash === undefined || passwordHash === '') {
    throw new UserStoreError('users table item has no string attribute passwordHash');
  }
  return { ...toUserSummary(item), passwordHash };
}
