import { ConfigurationError } from './errors';

/**
 * Settings shared by the login Lambda and the authorizer. Each is an environment variable; the stack and the
 * local gateway set the same names.
 */
export interface LocalTokenSettings {
  /** `iss` of tokens minted by the login Lambda. `LOCAL_ISSUER`. */
  readonly issuer: string;
  /** `aud` of tokens minted by the login Lambda. `LOCAL_AUDIENCE`. */
  readonly audience: string;
  /** How long a minted token lives, in seconds. `TOKEN_LIFETIME_SECONDS`. */
  readonly tokenLifetimeSeconds: number;
  /** Longest `exp - iat` the authorizer accepts on a local token, in seconds. `LOCAL_TOKEN_MAX_LIFETIME_SECONDS`. */
  readonly maxTokenLifetimeSeconds: number;
  /** How often the signing secret is read again, in seconds. `SIGNING_KEY_REFRESH_SECONDS`. */
  readonly keyRefreshSeconds: number;
}

export const LOCAL_TOKEN_DEFAULTS = {
  issuer: 'urn:jwt-authorizer:local',
  audience: 'jwt-authorizer-api',
  tokenLifetimeSeconds: 900,
  maxTokenLifetimeSeconds: 3600,
  keyRefreshSeconds: 300,
} as const;

export function readLocalTokenSettings(env: NodeJS.ProcessEnv = process.env): LocalTokenSettings {
  const issuer = env.LOCAL_ISSUER?.trim() || LOCAL_TOKEN_DEFAULTS.issuer;
  const audience = env.LOCAL_AUDIENCE?.trim() || LOCAL_TOKEN_DEFAULTS.audience;
  const tokenLifetimeSeconds = readSeconds(env, 'TOKEN_LIFETIME_SECONDS', LOCAL_TOKEN_DEFAULTS.tokenLifetimeSeconds, {
    min: 60,
    max: 86400,
  });
  const maxTokenLifetimeSeconds = readSeconds(
    env,
    'LOCAL_TOKEN_MAX_LIFETIME_SECONDS',
    LOCAL_TOKEN_DEFAULTS.maxTokenLifetimeSeconds,
    { min: 60, max: 86400 },
  );
  if (tokenLifetimeSeconds > maxTokenLifetimeSeconds) {
    throw new ConfigurationError(
      'TOKEN_LIFETIME_SECONDS',
      `${tokenLifetimeSeconds} s exceeds LOCAL_TOKEN_MAX_LIFETIME_SECONDS (${maxTokenLifetimeSeconds} s), so the authorizer would reject every minted token; lower it or raise the maximum`,
    );
  }
  const keyRefreshSeconds = readSeconds(env, 'SIGNING_KEY_REFRESH_SECONDS', LOCAL_TOKEN_DEFAULTS.keyRefreshSeconds, {
    min: 1,
    max: 86400,
  });
  return { issuer, audience, tokenLifetimeSeconds, maxTokenLifetimeSeconds, keyRefreshSeconds };
}

/** Parses a whole number within limits, or returns the default when the variable is unset or empty. */
export function readWholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  defaultValue: number,
  limits: { min: number; max: number },
  unit?: string,
): number {
  const raw = env[name]?.trim();
  if (!raw) return defaultValue;
  if (!/^\d+$/.test(raw) || Number(raw) < limits.min || Number(raw) > limits.max) {
    const described = unit ? `a whole number of ${unit}` : 'a whole number';
    throw new ConfigurationError(
      name,
      `invalid value "${raw}"; set ${described} from ${limits.min} to ${limits.max}, or unset it for the default ${defaultValue}`,
    );
  }
  return Number(raw);
}

/** Parses a whole number of seconds within limits, or returns the default when the variable is unset or empty. */
export function readSeconds(
  env: NodeJS.ProcessEnv,
  name: string,
  defaultSeconds: number,
  limits: { min: number; max: number },
): number {
  return readWholeNumber(env, name, defaultSeconds, limits, 'seconds');
}
