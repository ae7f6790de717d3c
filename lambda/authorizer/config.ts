import { ConfigurationError } from '../shared/errors';
import { type LocalTokenSettings, readLocalTokenSettings, readSeconds } from '../shared/settings';
import { signingKeySourceFromEnv, type SigningKeySource } from '../shared/signing-keys';
import { assertKeyUrl } from '../shared/url';

/** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, the issuer of every Cognito user pool token. */
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com\/[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/;

export type TokenUse = 'access' | 'id';

export interface ExternalIssuerConfig {
  /** `ISSUER_URL`, compared with `iss` by exact string equality. */
  readonly issuer: string;
  readonly kind: 'cognito' | 'oidc';
  /** `AUDIENCE`, split on commas. */
  readonly audiences: readonly string[];
  /** `JWKS_URI`; undefined means discovery from the issuer's metadata. */
  readonly jwksUri?: URL;
  /** `TOKEN_USE`; checked for Cognito issuers only. */
  readonly tokenUse: TokenUse;
}

export interface AuthorizerConfig {
  readonly external?: ExternalIssuerConfig;
  readonly local?: LocalTokenSettings & { readonly keySource: SigningKeySource };
  /** `CLOCK_TOLERANCE_SECONDS`: allowed skew for `exp`, `nbf` and `iat`. */
  readonly clockToleranceSeconds: number;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** Reads and validates the authorizer settings. Throws `ConfigurationError` naming the setting and the fix. */
export function readAuthorizerConfig(env: NodeJS.ProcessEnv = process.env): AuthorizerConfig {
  const clockToleranceSeconds = readSeconds(env, 'CLOCK_TOLERANCE_SECONDS', DEFAULT_CLOCK_TOLERANCE_SECONDS, {
    min: 0,
    max: 300,
  });
  const external = readExternalIssuer(env);

  const keySource = signingKeySourceFromEnv(env);
  const local = keySource ? { ...readLocalTokenSettings(env), keySource } : undefined;

  if (!external && !local) {
    throw new ConfigurationError(
      'ISSUER_URL',
      'no issuer is configured; set ISSUER_URL (with AUDIENCE) for an external issuer, or SIGNING_SECRET_ARN or SIGNING_KEY_FILE for local tokens',
    );
  }
  if (external && local && external.issuer === local.issuer) {
    throw new ConfigurationError('LOCAL_ISSUER', `equals ISSUER_URL "${external.issuer}"; give local tokens an issuer of their own`);
  }
  return { external, local, clockToleranceSeconds };
}

function readExternalIssuer(env: NodeJS.ProcessEnv): ExternalIssuerConfig | undefined {
  const issuer = env.ISSUER_URL?.trim() ?? '';
  const jwksUriText = env.JWKS_URI?.trim() ?? '';
  const audienceText = env.AUDIENCE?.trim() ?? '';
  const tokenUseText = env.TOKEN_USE?.trim() || 'access';

  if (tokenUseText !== 'access' && tokenUseText !== 'id') {
    throw new ConfigurationError('TOKEN_USE', `invalid value "${tokenUseText}"; set access or id`);
  }
  if (!issuer) {
    if (jwksUriText) throw new ConfigurationError('JWKS_URI', 'is set but ISSUER_URL is empty; set ISSUER_URL too, or unset JWKS_URI');
    return undefined;
  }

  try {
    const url = assertKeyUrl(issuer);
    if (url.search) throw new Error(`"${issuer}" must not contain a query`);
  } catch (error) {
    throw new ConfigurationError('ISSUER_URL', `${(error as Error).message}; set the issuer exactly as its tokens' iss claim`);
  }

  let jwksUri: URL | undefined;
  if (jwksUriText) {
    try {
      jwksUri = assertKeyUrl(jwksUriText);
    } catch (error) {
      throw new ConfigurationError('JWKS_URI', `${(error as Error).message}; set the key set URL, or unset it to use discovery`);
    }
  }

  const audiences = audienceText.split(',').map((value) => value.trim()).filter(Boolean);
  if (audiences.length === 0) {
    throw new ConfigurationError(
      'AUDIENCE',
      'is required when ISSUER_URL is set; set the accepted audience values, comma-separated (for Cognito, the app client ids)',
    );
  }

  return {
    issuer,
    kind: COGNITO_ISSUER.test(issuer) ? 'cognito' : 'oidc',
    audiences,
    jwksUri,
    tokenUse: tokenUseText,
  };
}
