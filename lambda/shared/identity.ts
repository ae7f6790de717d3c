import type { APIGatewayProxyEvent } from 'aws-lambda';

/** The caller as the authorizer describes it in `requestContext.authorizer`. */
export interface CallerIdentity {
  readonly sub: string;
  readonly iss: string;
  readonly scopes: string[];
  readonly groups: string[];
  readonly email?: string;
  readonly tokenUse?: string;
  readonly clientId?: string;
  readonly claims: Record<string, unknown>;
}

/**
 * Reads the authorizer context of a proxy event. API Gateway delivers every context value as a string, so
 * lists arrive joined (`scope` by spaces, `groups` by commas) and `claims` as a JSON string.
 * Returns undefined when the request did not pass through the authorizer.
 */
export function callerIdentity(event: APIGatewayProxyEvent): CallerIdentity | undefined {
  const context = event.requestContext?.authorizer;
  if (!context || typeof context.sub !== 'string' || context.sub === '') return undefined;

  const text = (value: unknown): string | undefined =>
    value === undefined || value === null || value === '' ? undefined : String(value);
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(String(context.claims ?? '{}')) as Record<string, unknown>;
  } catch {
    claims = {};
  }

  return {
    sub: context.sub,
    iss: String(context.iss ?? ''),
    scopes: (text(context.scope) ?? '').split(' ').filter(Boolean),
    groups: (text(context.groups) ?? '').split(',').filter(Boolean),
    email: text(context.email),
    tokenUse: text(context.tokenUse),
    clientId: text(context.clientId),
    claims,
  };
}
