import { verifyPassword } from '../../lambda/login/password';
import { createUser, type UserStore } from '../../lambda/login/user-store';
import type { SeedUser } from './settings';

/**
 * Creates each seed user, or resets an existing one to the seeded password and scopes and clears its
 * lockout, so the credentials `npm start` prints always work. Returns what was done per user.
 */
export async function seedUsers(
  store: UserStore,
  users: readonly SeedUser[],
): Promise<Array<{ email: string; action: 'created' | 'reset' | 'unchanged' }>> {
  const results: Array<{ email: string; action: 'created' | 'reset' | 'unchanged' }> = [];
  for (const user of users) {
    const existing = await store.getUser(user.email);
    if (!existing) {
      await createUser(store, { email: user.email, password: user.password, scopes: user.scopes });
      results.push({ email: user.email, action: 'created' });
      continue;
    }

    let changed = false;
    if (!(await verifyPassword(user.password, existing.passwordHash))) {
      // Also clears the lockout state.
      await store.setPassword(user.email, user.password);
      changed = true;
    } else if (existing.failedAttempts > 0 || existing.lockedUntil !== undefined || existing.lockouts > 0) {
      await store.unlockUser(user.email);
      changed = true;
    }
    if (!sameScopes(existing.scopes, user.scopes)) {
      await store.setScopes(user.email, user.scopes);
      changed = true;
    }
    results.push({ email: user.email, action: changed ? 'reset' : 'unchanged' });
  }
  return results;
}

function sameScopes(stored: readonly string[], seeded: readonly string[]): boolean {
  return stored.length === seeded.length && seeded.every((scope) => stored.includes(scope));
}
