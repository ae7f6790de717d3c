/**
 * Gateway responses shared by the stack and the local gateway, so both respond to a rejected request with the
 * same status, headers and JSON body. Header values are plain strings here; the construct quotes them for
 * API Gateway.
 */

/** CORS headers on every gateway response, so a browser reports the real status instead of a CORS failure. */
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization,Content-Type',
} as const;

export type GatewayResponseKind =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'MISSING_AUTHENTICATION_TOKEN';

export interface GatewayResponseDefinition {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly message: string };
}

const AUTHORIZER_UNAVAILABLE: GatewayResponseDefinition = {
  statusCode: 503,
  headers: { ...CORS_HEADERS, 'Retry-After': '1' },
  body: { message: 'Authorization is temporarily unavailable' },
};

export const GATEWAY_RESPONSES: Readonly<Record<GatewayResponseKind, GatewayResponseDefinition>> = {
  // RFC 6750 section 3: a rejected bearer token gets error="invalid_token".
  UNAUTHORIZED: {
    statusCode: 401,
    headers: { ...CORS_HEADERS, 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    body: { message: 'Unauthorized' },
  },
  // RFC 6750 section 3: a valid token without the required scope gets error="insufficient_scope".
  ACCESS_DENIED: {
    statusCode: 403,
    headers: { ...CORS_HEADERS, 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
    body: { message: 'User is not authorized to access this resource' },
  },
  AUTHORIZER_FAILURE: AUTHORIZER_UNAVAILABLE,
  AUTHORIZER_CONFIGURATION_ERROR: AUTHORIZER_UNAVAILABLE,
  // API Gateway returns this 403 for a request to an unknown route.
  MISSING_AUTHENTICATION_TOKEN: {
    statusCode: 403,
    headers: { ...CORS_HEADERS },
    body: { message: 'Missing Authentication Token' },
  },
};

/**
 * Identity validation expression for the `Authorization` header: the Bearer scheme in any letter case, one
 * space, and a JWS compact token (three base64url segments). API Gateway returns 401 without invoking the
 * authorizer when the header does not match.
 */
export const BEARER_IDENTITY_VALIDATION_EXPRESSION = '^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
