import { TokenRejectedError } from '../shared/errors';
import type { VerifiedClaims } from '../shared/jwt/claims';
import { decomposeUnverifiedJwt, type DecomposedUnverifiedJwt } from '../shared/jwt/decode';
import type { JwksCacheOptions } from '../shared/jwt/jwks-cache';
import type { AuthorizerConfig } from './config';
import { ExternalIssuerVerifier } from './external-issuer';
import { LocalIssuerVerifier } from './local-issuer';

export interface TokenVerifierOptions {
  readonly jwks?: JwksCacheOptions;
  readonly now?: () => number;
}

/** Result of a verification: the claims, plus header fields worth logging. */
export interface VerifiedToken {
  readonly claims: VerifiedClaims;
  readonly kid?: string;
}

/**
 * Routes each token to the verifier of its (unverified) `iss`. Each issuer has its own algorithm allowlist and
 * key source, so a token cannot pick its verifier's rules by naming another issuer.
 */
export class TokenVerifier {
  public readonly external?: ExternalIssuerVerifier;
  public readonly local?: LocalIssuerVerifier;
  private readonly now: () => number;

  public constructor(
    config: AuthorizerConfig,
    options: TokenVerifierOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    if (config.external) {
      this.external = new ExternalIssuerVerifier(config.external, config.clockToleranceSeconds, {
        ...options.jwks,
        now: options.jwks?.now ?? options.now,
      });
    }
    if (config.local) this.local = new LocalIssuerVerifier(config.local, config.clockToleranceSeconds, this.now);
  }

  /** Starts loading keys of every configured issuer without waiting; failures are retried on demand. */
  public prefetch(): void {
    this.external?.jwks.prefetch();
    this.local?.keys.prefetch();
  }

  public async verify(token: string): Promise<VerifiedToken> {
    const decomposed = decomposeUnverifiedJwt(token);
    const verifier = this.verifierFor(decomposed);
    const claims = await verifier.verify(decomposed, Math.floor(this.now() / 1000));
    return { claims, kid: decomposed.header.kid as string | undefined };
  }

  private verifierFor(token: DecomposedUnverifiedJwt): ExternalIssuerVerifier | LocalIssuerVerifier {
    const iss = token.payload.iss;
    if (iss === undefined) throw new TokenRejectedError('missing_claim', 'token has no iss');
    if (this.external && iss === this.external.issuer) return this.external;
    if (this.local && iss === this.local.issuer) return this.local;
    throw new TokenRejectedError('issuer_mismatch', 'token iss names no configured issuer');
  }
}
