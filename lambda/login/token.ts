import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

import type { LocalTokenSettings } from '../shared/settings';
import type { SigningKeyVersion } from '../shared/signing-keys';
import type { UserRecord } from './user-store';

/** A signed access token and its lifetime. */
export interface AccessToken {
  readonly token: string;
  /** Seconds from `iat` to `exp`, for the `expires_in` field of the token response. */
  readonly expiresIn: number;
}

/**
 * Signs an HS256 access token for a user with the given key version. The header carries `kid` = the version id.
 * Claims: `iss`, `aud`, `sub` (the user id, never the email), `email`, `scope` (space-separated, left out when the
 * user has no scopes), `iat`, `exp` = `iat` + the token lifetime, and a random `jti`.
 */
export async function signAccessToken(
  user: Pick<UserRecord, 'userId' | 'email' | 'scopes'>,
  key: SigningKeyVersion,
  settings: Pick<LocalTokenSettings, 'issuer' | 'audience' | 'tokenLifetimeSeconds'>,
  now: Date,
): Promise<AccessToken> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const claims = user.scopes.length > 0 ? { email: user.email, scope: user.scopes.join(' ') } : { email: user.email };

  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(user.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + settings.tokenLifetimeSeconds)
    .setJti(randomUUID())
    .sign(key.secret);
  return { token, expiresIn: settings.tokenLifetimeSeconds };
}
