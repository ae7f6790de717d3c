import { logger } from '../shared/logger';
import type { LockoutPolicy } from './lockout';
import { hashPassword, InvalidPasswordHashError, needsRehash, verifyPassword } from './password';
import type { LoginCredentials } from './request';
import type { UserRecord, UserStore } from './user-store';

export interface AuthenticationDependencies {
  readonly store: UserStore;
  readonly lockout: LockoutPolicy;
  /** Hash of a random password with the current parameters (see `createDummyPasswordHash`). */
  readonly dummyPasswordHash: Promise<string>;
}

/** Reason a login was rejected, for the log. The client gets the same 401 for every reason. */
export type LoginRejectionReason =
  | 'unknown_email'
  | 'wrong_password'
  | 'locked'
  /** The password was right, but a concurrent request locked the account or changed the password first. */
  | 'state_changed';

export type AuthenticationResult =
  | { readonly ok: true; readonly user: UserRecord; readonly passwordUpgraded: boolean }
  | {
      readonly ok: false;
      readonly reason: LoginRejectionReason;
      readonly userId?: string;
      /** End of the lock in epoch seconds, when this request locked the account. */
      readonly lockedUntil?: number;
    };

/**
 * Checks credentials against the users table and updates the lockout state.
 *
 * Every rejected login runs one scrypt and one conditional write (a second write when it locks the account),
 * so an unknown email, a locked account and a wrong password cost the same work. An unknown email and a
 * locked account are checked against the dummy hash, and their write fails its condition without changing
 * anything. A correct password is re-hashed when its stored parameters are weaker than the current ones.
 * DynamoDB failures propagate as `UserStoreError`.
 */
export async function authenticate(
  dependencies: AuthenticationDependencies,
  credentials: LoginCredentials,
  now: Date,
): Promise<AuthenticationResult> {
  const { store, lockout } = dependencies;
  const user = await store.getUser(credentials.email);

  if (!user) {
    await spendDummyWork(dependencies, credentials, now);
    return { ok: false, reason: 'unknown_email' };
  }

  if (user.lockedUntil !== undefined && user.lockedUntil > Math.floor(now.getTime() / 1000)) {
    await spendDummyWork(dependencies, credentials, now);
    return { ok: false, reason: 'locked', userId: user.userId };
  }

  if (user.failedAttempts >= lockout.maxFailedAttempts) {
    // The request that counted the last failure has not written the lock yet, or stopped before it did.
    // `lockUser` writes at most one lock, whichever request gets there first.
    await verifyPassword(credentials.password, await dependencies.dummyPasswordHash);
    const lockedUntil = await store.lockUser(user.email, now, lockout, user.lockouts);
    return { ok: false, reason: 'locked', userId: user.userId, lockedUntil };
  }

  if (!(await checkStoredPassword(dependencies, user, credentials.password))) {
    const failure = await store.recordFailedAttempt(user.email, now, lockout);
    let lockedUntil: number | undefined;
    if (failure.counted && failure.failedAttempts >= lockout.maxFailedAttempts) {
      lockedUntil = await store.lockUser(user.email, now, lockout, failure.lockouts);
    }
    return { ok: false, reason: 'wrong_password', userId: user.userId, lockedUntil };
  }

  const upgradedHash = needsRehash(user.passwordHash) ? await hashPassword(credentials.password) : undefined;
  if (!(await store.recordSuccessfulLogin(user, now, lockout, upgradedHash))) {
    return { ok: false, reason: 'state_changed', userId: user.userId };
  }
  return {
    ok: true,
    user: upgradedHash === undefined ? user : { ...user, passwordHash: upgradedHash },
    passwordUpgraded: upgradedHash !== undefined,
  };
}

/** Runs the scrypt and the conditional write of a rejected login, neither of which can change an item. */
async function spendDummyWork(
  dependencies: AuthenticationDependencies,
  credentials: LoginCredentials,
  now: Date,
): Promise<void> {
  await verifyPassword(credentials.password, await dependencies.dummyPasswordHash);
  // Fails its condition: the item does not exist, or its lock is still running at `now`.
  await dependencies.store.recordFailedAttempt(credentials.email, now, dependencies.lockout);
}

/** Verifies the password; a stored hash that cannot be parsed is logged and counts as a wrong password. */
async function checkStoredPassword(
  dependencies: AuthenticationDependencies,
  user: UserRecord,
  password: string,
): Promise<boolean> {
  try {
    return await verifyPassword(password, user.passwordHash);
  } catch (error) {
    if (!(error instanceof InvalidPasswordHashError)) throw error;
    logger.error('Stored password hash is invalid; the user cannot log in until the password is set again', {
      userId: user.userId,
      error,
    });
    await verifyPassword(password, await dependencies.dummyPasswordHash);
    return false;
  }
}
