import { ConfigurationError } from '../../lambda/shared/errors';
import { readSeconds } from '../../lambda/shared/settings';
import { InvalidUserInputError, validateEmail, validateNewPassword } from '../../lambda/login/user-store';
import { DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, MAX_AUTHORIZER_CACHE_TTL_SECONDS } from './authorizer-cache';
import { DEFAULT_DATA_DIR } from './data-dir';

/** A user that `npm start` creates, or resets to these values, on every start. */
export interface SeedUser {
  /** Normalised email. */
  readonly email: string;
  readonly password: string;
  readonly scopes: readonly string[];
  /** True when the password is the documented default, which is safe to print. */
  readonly defaultPassword: boolean;
  /** Environment variable that sets the password, for the printed instructions. */
  readonly passwordSetting: string;
}

/**
 * Settings of `npm start`, read from environment variables. This module imports nothing that creates the
 * logger, so `start.ts` can read the settings before it sets the log level.
 */
export interface LocalGatewaySettings {
  /** `PORT`; 0 picks a free port. */
  readonly port: number;
  /** `AUTHORIZER_CACHE_TTL`, in seconds; 0 disables the cache. */
  readonly authorizerCacheTtlSeconds: number;
  /** `DATA_DIR`, as given (resolved against the working directory by `localDataPaths`). */
  readonly dataDir: string;
  readonly users: readonly SeedUser[];
}

/** The gateway listens on loopback only; `HOST` cannot change it. */
export const LOCAL_HOST = '127.0.0.1';

export const LOCAL_DEFAULTS = {
  port: 3000,
  userEmail: 'demo@example.com',
  userPassword: 'correct-horse-battery',
  userScopes: ['profile'],
  adminEmail: 'admin@example.com',
  adminPassword: 'admin-horse-battery',
  adminScopes: ['admin', 'profile'],
} as const;

/** Reads and validates the settings. Throws `ConfigurationError` naming the first invalid variable and the fix. */
export function readLocalGatewaySettings(env: NodeJS.ProcessEnv = process.env): LocalGatewaySettings {
  const port = readPort(env);
  const authorizerCacheTtlSeconds = readSeconds(env, 'AUTHORIZER_CACHE_TTL', DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, {
    min: 0,
    max: MAX_AUTHORIZER_CACHE_TTL_SECONDS,
  });
  const dataDir = env.DATA_DIR?.trim() || DEFAULT_DATA_DIR;

  const user = readSeedUser(
    env,
    'LOCAL_USER',
    LOCAL_DEFAULTS.userEmail,
    LOCAL_DEFAULTS.userPassword,
    LOCAL_DEFAULTS.userScopes,
  );
  const admin = readSeedUser(
    env,
    'LOCAL_ADMIN',
    LOCAL_DEFAULTS.adminEmail,
    LOCAL_DEFAULTS.adminPassword,
    LOCAL_DEFAULTS.adminScopes,
  );
  if (user.email === admin.email) {
    throw new ConfigurationError(
      'LOCAL_USER_EMAIL',
      `equals LOCAL_ADMIN_EMAIL (${admin.email}); give the two seeded users different addresses`,
    );
  }

  return { port, authorizerCacheTtlSeconds, dataDir, users: [user, admin] };
}

function readPort(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT?.trim();
  if (!raw) return LOCAL_DEFAULTS.port;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigurationError(
      'PORT',
      `invalid value "${raw}"; set a TCP port from 0 to 65535 (0 picks a free port), ` +
        `or unset it for the default ${LOCAL_DEFAULTS.port}`,
    );
  }
  return Number(raw);
}

/** Reads `<prefix>_EMAIL` and `<prefix>_PASSWORD`; the password is never part of an error message. */
function readSeedUser(
  env: NodeJS.ProcessEnv,
  prefix: string,
  defaultEmail: string,
  defaultPassword: string,
  scopes: readonly string[],
): SeedUser {
  const emailSetting = `${prefix}_EMAIL`;
  const passwordSetting = `${prefix}_PASSWORD`;

  let email: string;
  try {
    email = validateEmail(env[emailSetting]?.trim() || defaultEmail);
  } catch (error) {
    if (!(error instanceof InvalidUserInputError)) throw error;
    throw new ConfigurationError(emailSetting, `${error.message}; set an address such as ${defaultEmail}`);
  }

  const customPassword = env[passwordSetting];
  const password = customPassword === undefined || customPassword === '' ? defaultPassword : customPassword;
  try {
    validateNewPassword(password);
  } catch (error) {
    if (!(error instanceof InvalidUserInputError)) throw error;
    throw new ConfigurationError(
      passwordSetting,
      `${error.message}; set a password of that length, or unset it for the default`,
    );
  }

  return { email, password, scopes, defaultPassword: password === defaultPassword, passwordSetting };
}
