import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

import { type AuthorizerDecision, logDecision } from '../shared/decision-log';
import { TokenRejectedError } from '../shared/errors';
import { decomposeUnverifiedJwt, extractBearerToken } from '../shared/jwt/decode';
import { logger } from '../shared/logger';
import { readAuthorizerConfig } from './config';
import { buildContext, grantsOf } from './context';
import { buildRoutePolicy } from './policy';
import { TokenVerifier } from './token-verifier';

// Cold start: a bad setting throws here, naming the setting, so the function fails before serving anyone.
// Key fetches start now and the first requests share them.
const verifier = new TokenVerifier(readAuthorizerConfig(process.env));
verifier.prefetch();
let coldStart = true;

/** API Gateway turns exactly this message into a 401; any other error becomes the authorizer-failure response. */
const UNAUTHORIZED = 'Unauthorized';

/** Lambda TOKEN authorizer: verifies the Bearer token and returns a policy covering every protected route. */
export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const isColdStart = coldStart;
  coldStart = false;

  let token: string | undefined;
  try {
    token = extractBearerToken(event.authorizationToken);
    const { claims, kid } = await verifier.verify(token);

    const grants = grantsOf(claims);
    const policy = buildRoutePolicy(event.methodArn, grants);
    logDecision({
      decision: policy.allowsCalledRoute ? 'allow' : 'deny',
      reason: 'ok',
      sub: claims.sub,
      iss: claims.iss,
      kid,
      coldStart: isColdStart,
      allowedRoutes: policy.allowedRoutes,
    });
    return { principalId: claims.sub, policyDocument: policy.policyDocument, context: buildContext(claims, grants) };
  } catch (error) {
    if (error instanceof TokenRejectedError) {
      const keysUnavailable = error.reason === 'keys_unavailable';
      logDecision({
        decision: keysUnavailable ? 'error' : 'unauthorized',
        reason: error.reason,
        ...unverifiedFields(token),
        coldStart: isColdStart,
      });
      if (keysUnavailable) {
        // Fail closed without blaming the token, so API Gateway returns the authorizer-failure response.
        throw new Error('Signing keys are unavailable');
      }
      throw new Error(UNAUTHORIZED);
    }
    logger.error('Authorizer failed unexpectedly', { error: error as Error, coldStart: isColdStart });
    throw error;
  }
}

/** `iss`, `sub` and `kid` of a rejected token for the log; they are unverified and may be absent. */
function unverifiedFields(token: string | undefined): Pick<AuthorizerDecision, 'iss' | 'sub' | 'kid'> {
  if (!token) return {};
  try {
    const { header, payload } = decomposeUnverifiedJwt(token);
    const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);
    return { iss: text(payload.iss), sub: text(payload.sub), kid: text(header.kid) };
  } catch {
    return {};
  }
}
