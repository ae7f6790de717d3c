import { ConfigurationError } from '../shared/errors';
import { type LocalTokenSettings, readLocalTokenSettings, readSeconds, readWholeNumber } from '../shared/settings';
import { LOCKOUT_DEFAULTS, type LockoutPolicy } from './lockout';

/** Settings of the login Lambda, read from environment variables at cold start. */
export interface LoginSettings {
  /** Name (or ARN) of the DynamoDB users table. `USERS_TABLE`, required. */
  readonly usersTable: string;
  readonly lockout: LockoutPolicy;
  /** Issuer, audience, lifetime and key refresh interval of the minted tokens. */
  readonly token: LocalTokenSettings;
}

// DynamoDB table names are 3 to 255 characters of letters, digits, `_`, `-` and `.`; the API also takes the ARN.
const TABLE_NAME_PATTERN = /^(?:[A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

/** Reads and validates the login settings. Throws `ConfigurationError` naming the first invalid variable. */
export function readLoginSettings(env: NodeJS.ProcessEnv = process.env): LoginSettings {
  const usersTable = env.USERS_TABLE?.trim();
  if (!usersTable) {
    throw new ConfigurationError('USERS_TABLE', 'missing; set it to the name of the DynamoDB users table');
  }
  if (!TABLE_NAME_PATTERN.test(usersTable)) {
    throw new ConfigurationError(
      'USERS_TABLE',
      `invalid table name "${usersTable}"; use 3 to 255 letters, digits, "_", "-" or ".", or a table ARN`,
    );
  }

  const maxFailedAttempts = readWholeNumber(env, 'LOGIN_MAX_FAILED_ATTEMPTS', LOCKOUT_DEFAULTS.maxFailedAttempts, {
    min: 1,
    max: 100,
  });
  const lockoutSeconds = readSeconds(env, 'LOGIN_LOCKOUT_SECONDS', LOCKOUT_DEFAULTS.lockoutSeconds, {
    min: 1,
    max: 86400,
  });
  const maxLockoutSeconds = readSeconds(env, 'LOGIN_MAX_LOCKOUT_SECONDS', LOCKOUT_DEFAULTS.maxLockoutSeconds, {
    min: 1,
    max: 604800,
  });
  if (maxLockoutSeconds < lockoutSeconds) {
    throw new ConfigurationError(
      'LOGIN_MAX_LOCKOUT_SECONDS',
      `${maxLockoutSeconds} s is below LOGIN_LOCKOUT_SECONDS (${lockoutSeconds} s); raise it or lower the first lockout`,
    );
  }

  return {
    usersTable,
    lockout: { maxFailedAttempts, lockoutSeconds, maxLockoutSeconds },
    token: readLocalTokenSettings(env),
  };
}
