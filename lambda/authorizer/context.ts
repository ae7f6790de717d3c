import type { APIGatewayAuthorizerResultContext } from 'aws-lambda';

import type { VerifiedClaims } from '../shared/jwt/claims';
import type { Grants } from '../shared/routes';

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  return [];
}

/**
 * Reads scopes from `scope` (RFC 8693 space-separated string) and `scp` (an array, as Okta and Entra ID
 * write it, or a string), and groups from `cognito:groups` and `groups`.
 */
export function grantsOf(claims: VerifiedClaims): Grants {
  const scopes = new Set([...stringList(claims.scope), ...stringList(claims.scp)]);
  const groups = new Set([...stringList(claims['cognito:groups']), ...stringList(claims.groups)]);
  return { scopes: [...scopes], groups: [...groups] };
}

/**
 * Builds the context passed to backends. API Gateway returns 500 when a value is an array, an object or
 * null, so every value is a string. Lists are joined, and all claims travel as one JSON string.
 */
export function buildContext(claims: VerifiedClaims, grants: Grants): APIGatewayAuthorizerResultContext {
  const context: APIGatewayAuthorizerResultContext = {
    sub: claims.sub,
    iss: claims.iss,
    scope: grants.scopes.join(' '),
    groups: grants.groups.join(','),
    claims: JSON.stringify(claims),
  };
  if (typeof claims.email === 'string') context.email = claims.email;
  if (typeof claims.token_use === 'string') context.tokenUse = claims.token_use;
  const clientId = claims.client_id ?? claims.azp;
  if (typeof clientId === 'string') context.clientId = clientId;
  return context;
}
