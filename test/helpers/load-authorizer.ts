import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

import type { AuthorizerDecision } from '../../lambda/shared/decision-log';

export type AuthorizerHandler = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface LoadedAuthorizer {
  readonly handler: AuthorizerHandler;
  /** Every decision the loaded module logged, in order. */
  readonly decisions: AuthorizerDecision[];
  /** Puts back the environment variables changed for this load. */
  restore(): void;
}

const AUTHORIZER_SETTINGS = [
  'ISSUER_URL',
  'AUDIENCE',
  'JWKS_URI',
  'TOKEN_USE',
  'CLOCK_TOLERANCE_SECONDS',
  'LOCAL_ISSUER',
  'LOCAL_AUDIENCE',
  'LOCAL_TOKEN_MAX_LIFETIME_SECONDS',
  'TOKEN_LIFETIME_SECONDS',
  'SIGNING_SECRET_ARN',
  'SIGNING_KEY_FILE',
  'SIGNING_KEY_REFRESH_SECONDS',
];

/**
 * Sets the environment and imports a fresh copy of the authorizer module, as a new Lambda container would:
 * module-scope caches start empty and the configuration is read at import.
 */
export function loadAuthorizer(env: Record<string, string | undefined>): LoadedAuthorizer {
  const saved = new Map<string, string | undefined>();
  for (const name of new Set([...AUTHORIZER_SETTINGS, ...Object.keys(env)])) {
    saved.set(name, process.env[name]);
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  const restore = () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  const decisions: AuthorizerDecision[] = [];
  let handler: AuthorizerHandler | undefined;
  try {
    jest.isolateModules(() => {
      // The decision log must come from the same module registry as the handler.
      require('../../lambda/shared/decision-log').observeDecisions((decision: AuthorizerDecision) => decisions.push(decision));
      handler = require('../../lambda/authorizer/handler').handler;
    });
  } catch (error) {
    restore();
    throw error;
  }
  return { handler: handler!, decisions, restore };
}

export const METHOD_ARN_PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod';

/** Builds a TOKEN authorizer event for a route of the test API. */
export function tokenEvent(authorization: string, route = 'GET/me'): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', authorizationToken: authorization, methodArn: `${METHOD_ARN_PREFIX}/${route}` };
}

/** Calls the handler and returns the thrown message, or 'returned' when it did not throw. */
export async function thrownMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'returned';
  } catch (error) {
    return (error as Error).message;
  }
}
