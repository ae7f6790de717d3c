import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { KeysUnavailableError } from '../shared/errors';
import { jsonResponse } from '../shared/http';
import { logger } from '../shared/logger';
import type { LocalTokenSettings } from '../shared/settings';
import type { SigningKeyCache } from '../shared/signing-keys';
import { authenticate } from './authenticate';
import type { LockoutPolicy } from './lockout';
import { InvalidLoginRequestError, type LoginCredentials, parseLoginRequest } from './request';
import { signAccessToken } from './token';
import { type UserStore, UserStoreError } from './user-store';

export interface LoginHandlerOptions {
  readonly store: UserStore;
  readonly lockout: LockoutPolicy;
  readonly token: Pick<LocalTokenSettings, 'issuer' | 'audience' | 'tokenLifetimeSeconds'>;
  /** Source of the signing key; its `current` version signs. */
  readonly signingKeys: Pick<SigningKeyCache, 'get'>;
  /** Hash of a random password with the current parameters (see `createDummyPasswordHash`). */
  readonly dummyPasswordHash: Promise<string>;
  /** Clock for token times and lockouts. @default () => new Date() */
  readonly now?: () => Date;
}

export type LoginHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** RFC 6749 section 5.1: token responses must not be cached. `Cache-Control: no-store` is in `JSON_HEADERS`. */
const NO_CACHE_HEADERS = { Pragma: 'no-cache' };

/** The one response for a wrong password, an unknown email and a locked account. */
const INVALID_CREDENTIALS_BODY = { message: 'Invalid email or password, or the account is temporarily locked' };

/**
 * Builds the `POST /login` handler. It returns 200 with an RFC 6749 token response, 400 for a malformed body,
 * 401 for rejected credentials, 503 when DynamoDB or the signing key is unavailable, and 500 for other errors.
 */
export function createLoginHandler(options: LoginHandlerOptions): LoginHandler {
  const now = options.now ?? (() => new Date());

  return async (event) => {
    let credentials: LoginCredentials;
    try {
      credentials = parseLoginRequest(event);
    } catch (error) {
      if (!(error instanceof InvalidLoginRequestError)) throw error;
      logger.warn('Invalid login request', { reason: 'invalid_request', problem: error.message });
      return jsonResponse(400, { message: `Invalid login request: ${error.message}` }, NO_CACHE_HEADERS);
    }

    try {
      const requestTime = now();
      const result = await authenticate(options, credentials, requestTime);
      if (!result.ok) {
        logger.warn('Login rejected', { reason: result.reason, userId: result.userId, lockedUntil: result.lockedUntil });
        return jsonResponse(401, INVALID_CREDENTIALS_BODY, NO_CACHE_HEADERS);
      }

      const keys = await options.signingKeys.get();
      const accessToken = await signAccessToken(result.user, keys.current, options.token, requestTime);
      logger.info('Login succeeded', {
        userId: result.user.userId,
        kid: keys.current.kid,
        passwordUpgraded: result.passwordUpgraded,
      });
      return jsonResponse(
        200,
        { access_token: accessToken.token, token_type: 'Bearer', expires_in: accessToken.expiresIn },
        NO_CACHE_HEADERS,
      );
    } catch (error) {
      if (error instanceof UserStoreError || error instanceof KeysUnavailableError) {
        logger.error('Login failed: a dependency is unavailable', { error: error as Error });
        return jsonResponse(
          503,
          { message: 'Login is temporarily unavailable; retry later' },
          { ...NO_CACHE_HEADERS, 'Retry-After': '1' },
        );
      }
      logger.error('Login failed unexpectedly', { error: error as Error });
      return jsonResponse(500, { message: 'Internal server error' }, NO_CACHE_HEADERS);
    }
  };
}
