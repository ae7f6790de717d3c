/** Account lockout after repeated failed logins. */
export interface LockoutPolicy {
  /** Consecutive failed logins that lock the account. `LOGIN_MAX_FAILED_ATTEMPTS`. */
  readonly maxFailedAttempts: number;
  /** Length of the first lockout, in seconds; each further lockout doubles it. `LOGIN_LOCKOUT_SECONDS`. */
  readonly lockoutSeconds: number;
  /** Maximum lockout length, in seconds. `LOGIN_MAX_LOCKOUT_SECONDS`. */
  readonly maxLockoutSeconds: number;
}

export const LOCKOUT_DEFAULTS: LockoutPolicy = {
  maxFailedAttempts: 5,
  lockoutSeconds: 60,
  maxLockoutSeconds: 3600,
};

/**
 * Returns the length of the next lockout in seconds: `lockoutSeconds` × 2^`previousLockouts`, capped at
 * `maxLockoutSeconds`. `previousLockouts` counts the lockouts since the last successful login.
 */
export function lockoutDurationSeconds(policy: LockoutPolicy, previousLockouts: number): number {
  const doublings = Math.max(0, Math.min(previousLockouts, 32));
  return Math.min(policy.lockoutSeconds * 2 ** doublings, policy.maxLockoutSeconds);
}
