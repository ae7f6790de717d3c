import { createSecretKey, type KeyObject } from 'node:crypto';

import { TokenRejectedError } from '../shared/errors';
import { assertAlgorithmAllowed, verifyHs256Signature } from '../shared/jwt/algorithms';
import { assertAudience, assertSubject, assertTimeClaims, type VerifiedClaims } from '../shared/jwt/claims';
import type { DecomposedUnverifiedJwt } from '../shared/jwt/decode';
import type { LocalTokenSettings } from '../shared/settings';
import { SigningKeyCache, type SigningKeySet, type SigningKeySource } from '../shared/signing-keys';

/** The only algorithm the login Lambda signs with. */
const LOCAL_ALGORITHMS = ['HS256'] as const;

/** An unknown `kid` reloads the secret at most this often, in milliseconds, so random kids cannot flood it. */
const UNKNOWN_KID_RELOAD_MS = 30_000;

/**
 * Verifies HS256 tokens minted by the login Lambda. The header's `kid` picks the secret version: the current
 * one, or the previous one while tokens signed before the last rotation can still be unexpired.
 */
export class LocalIssuerVerifier {
  public readonly issuer: string;
  public readonly keys: SigningKeyCache;
  private keyObjects = new WeakMap<Buffer, KeyObject>();

  public constructor(
    private readonly settings: LocalTokenSettings & { readonly keySource: SigningKeySource },
    private readonly clockToleranceSeconds: number,
    now: () => number = Date.now,
  ) {
    this.issuer = settings.issuer;
    this.keys = new SigningKeyCache(settings.keySource, { refreshIntervalMs: settings.keyRefreshSeconds * 1000, now });
  }

  public async verify(token: DecomposedUnverifiedJwt, nowSeconds: number): Promise<VerifiedClaims> {
    const { header, payload } = token;

    // Key.
    assertAlgorithmAllowed(header.alg as string, LOCAL_ALGORITHMS, 'local');
    if (typeof header.kid !== 'string') throw new TokenRejectedError('kid_not_found', 'token has no kid');
    let keySet = await this.keys.get();
    if (!this.isKnownVersion(keySet, header.kid)) keySet = await this.keys.reload(UNKNOWN_KID_RELOAD_MS);
    const secret = this.selectSecret(keySet, header.kid, nowSeconds);

    // Signature, before any claim is trusted.
    if (!verifyHs256Signature(this.keyObject(secret), token.signingInput, token.signature)) {
      throw new TokenRejectedError('bad_signature', 'token signature is invalid');
    }

    // Claims.
    if (payload.iss !== this.issuer) throw new TokenRejectedError('issuer_mismatch', 'token iss is not accepted');
    assertTimeClaims(payload, {
      nowSeconds,
      clockToleranceSeconds: this.clockToleranceSeconds,
      maxLifetimeSeconds: this.settings.maxTokenLifetimeSeconds,
    });
    assertAudience(payload, [this.settings.audience]);
    assertSubject(payload);
    if (keySet.previous && header.kid === keySet.previous.kid) this.assertSignedBeforeRotation(payload, keySet);

    return payload as VerifiedClaims;
  }

  private isKnownVersion(keySet: SigningKeySet, kid: string): boolean {
    return kid === keySet.current.kid || kid === keySet.previous?.kid;
  }

  /**
   * The previous version is accepted until every token it could have signed has expired: the rotation time
   * plus the maximum lifetime plus the clock tolerance.
   */
  private selectSecret(keySet: SigningKeySet, kid: string, nowSeconds: number): Buffer {
    if (kid === keySet.current.kid) return keySet.current.secret;
    if (keySet.previous && kid === keySet.previous.kid) {
      const rotatedAt = keySet.current.createdAt.getTime() / 1000;
      if (nowSeconds <= rotatedAt + this.settings.maxTokenLifetimeSeconds + this.clockToleranceSeconds) {
        return keySet.previous.secret;
      }
    }
    throw new TokenRejectedError('kid_not_found', 'token kid names no accepted secret version');
  }

  /** A token signed with the previous version must have been issued before the rotation. */
  private assertSignedBeforeRotation(payload: DecomposedUnverifiedJwt['payload'], keySet: SigningKeySet): void {
    const rotatedAt = keySet.current.createdAt.getTime() / 1000;
    if ((payload.iat as number) > rotatedAt + this.clockToleranceSeconds) {
      throw new TokenRejectedError('kid_not_found', 'token was signed with a retired secret version after the rotation');
    }
  }

  private keyObject(secret: Buffer): KeyObject {
    let key = this.keyObjects.get(secret);
    if (!key) {
      key = createSecretKey(secret);
      this.keyObjects.set(secret, key);
    }
    return key;
  }
}
