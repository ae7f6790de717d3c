import { TokenRejectedError } from '../shared/errors';
import { ASYMMETRIC_ALGORITHMS, assertAlgorithmAllowed, type AsymmetricAlgorithm, verifyAsymmetricSignature } from '../shared/jwt/algorithms';
import { assertAudience, assertSubject, assertTimeClaims, type VerifiedClaims } from '../shared/jwt/claims';
import type { DecomposedUnverifiedJwt } from '../shared/jwt/decode';
import { discoverJwksUri } from '../shared/jwt/discovery';
import { JwksCache, type JwksCacheOptions } from '../shared/jwt/jwks-cache';
import type { ExternalIssuerConfig } from './config';

/**
 * Verifies tokens of the external issuer (Cognito or any OIDC provider) against its JSON Web Key Set.
 * Only asymmetric algorithms pass, so a token signed with HS256 and the public key as secret is rejected.
 */
export class ExternalIssuerVerifier {
  public readonly issuer: string;
  public readonly jwks: JwksCache;

  public constructor(
    private readonly config: ExternalIssuerConfig,
    private readonly clockToleranceSeconds: number,
    jwksOptions?: JwksCacheOptions,
  ) {
    this.issuer = config.issuer;
    const { jwksUri } = config;
    const resolveUri = jwksUri ? () => Promise.resolve(jwksUri) : discoverJwksUri(config.issuer);
    this.jwks = new JwksCache(resolveUri, jwksOptions);
  }

  public async verify(token: DecomposedUnverifiedJwt, nowSeconds: number): Promise<VerifiedClaims> {
    const { header, payload } = token;

    // Key: the algorithm must be on the allowlist before any key is looked up.
    assertAlgorithmAllowed(header.alg as string, ASYMMETRIC_ALGORITHMS, this.config.kind);
    const alg = header.alg as AsymmetricAlgorithm;
    const key = await this.jwks.getKey(header.kid as string | undefined, alg);

    // Signature, before any claim is trusted.
    if (!verifyAsymmetricSignature(alg, key.key, token.signingInput, token.signature)) {
      throw new TokenRejectedError('bad_signature', 'token signature is invalid');
    }

    // Claims.
    if (payload.iss !== this.issuer) throw new TokenRejectedError('issuer_mismatch', 'token iss is not accepted');
    assertTimeClaims(payload, { nowSeconds, clockToleranceSeconds: this.clockToleranceSeconds });
    assertSubject(payload);
    if (this.config.kind === 'cognito') this.assertCognitoClaims(payload);
    else assertAudience(payload, this.config.audiences);

    return payload as VerifiedClaims;
  }

  /**
   * Cognito access tokens carry no `aud`; their app client is `client_id`. ID tokens carry `aud`.
   * `token_use` distinguishes the two and must equal `TOKEN_USE`.
   */
  private assertCognitoClaims(payload: DecomposedUnverifiedJwt['payload']): void {
    if (payload.token_use === undefined) throw new TokenRejectedError('missing_claim', 'token has no token_use');
    if (payload.token_use !== this.config.tokenUse) {
      throw new TokenRejectedError('token_use_mismatch', `token_use is not ${this.config.tokenUse}`);
    }
    if (this.config.tokenUse === 'id') {
      assertAudience(payload, this.config.audiences);
      return;
    }
    if (payload.client_id === undefined) throw new TokenRejectedError('missing_claim', 'token has no client_id');
    if (typeof payload.client_id !== 'string' || !this.config.audiences.includes(payload.client_id)) {
      throw new TokenRejectedError('audience_mismatch', 'token client_id is not accepted');
    }
  }
}
