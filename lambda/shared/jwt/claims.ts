import { TokenRejectedError } from '../errors';
import type { UnverifiedJsonObject } from './decode';

/** Claims of a token whose signature, issuer, audience and times have been checked. */
export type VerifiedClaims = Readonly<Record<string, unknown>> & {
  readonly iss: string;
  readonly sub: string;
  readonly exp: number;
};

export interface TimeClaimOptions {
  /** Current time in seconds since the epoch. */
  readonly nowSeconds: number;
  /** Allowed clock skew between issuer and verifier, in seconds. */
  readonly clockToleranceSeconds: number;
  /** When set, `iat` is required and `exp - iat` must not exceed this many seconds. */
  readonly maxLifetimeSeconds?: number;
}

function readNumericDate(payload: UnverifiedJsonObject, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  // RFC 7519 section 2: NumericDate is a JSON number. Strings such as "1700000000" are rejected.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenRejectedError('invalid_claim', `${name} is not a JSON number`);
  }
  return value;
}

/**
 * Checks `exp` (required), `nbf` and `iat`. aws-jwt-verify 5 and jose 5 accept a token without `exp` unless
 * configured otherwise, but this check never does.
 */
export function assertTimeClaims(payload: UnverifiedJsonObject, options: TimeClaimOptions): void {
  const { nowSeconds, clockToleranceSeconds: tolerance } = options;
  const exp = readNumericDate(payload, 'exp');
  const nbf = readNumericDate(payload, 'nbf');
  const iat = readNumericDate(payload, 'iat');

  if (exp === undefined) throw new TokenRejectedError('missing_claim', 'token has no exp');
  if (exp <= nowSeconds - tolerance) throw new TokenRejectedError('expired', 'token has expired');
  if (nbf !== undefined && nbf > nowSeconds + tolerance) {
    throw new TokenRejectedError('not_yet_valid', 'token nbf is in the future');
  }
  if (iat !== undefined && iat > nowSeconds + tolerance) {
    throw new TokenRejectedError('not_yet_valid', 'token iat is in the future');
  }

  if (options.maxLifetimeSeconds !== undefined) {
    if (iat === undefined) throw new TokenRejectedError('missing_claim', 'token has no iat');
    if (exp - iat > options.maxLifetimeSeconds) {
      throw new TokenRejectedError('lifetime_exceeded', `token lifetime exceeds ${options.maxLifetimeSeconds} s`);
    }
  }
}

/** Checks that `aud` (a string or an array of strings) contains one of the accepted audiences exactly. */
export function assertAudience(payload: UnverifiedJsonObject, accepted: readonly string[]): void {
  const aud = payload.aud;
  if (aud === undefined) throw new TokenRejectedError('missing_claim', 'token has no aud');
  const values = Array.isArray(aud) ? aud : [aud];
  if (!values.every((value) => typeof value === 'string')) {
    throw new TokenRejectedError('invalid_claim', 'aud is not a string or an array of strings');
  }
  if (!values.some((value) => accepted.includes(value as string))) {
    throw new TokenRejectedError('audience_mismatch', 'token aud is not accepted');
  }
}

/** Checks that `sub` is a non-empty string; API Gateway needs it as the principal id. */
export function assertSubject(payload: UnverifiedJsonObject): void {
  if (payload.sub === undefined) throw new TokenRejectedError('missing_claim', 'token has no sub');
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new TokenRejectedError('invalid_claim', 'sub is not a non-empty string');
  }
}
