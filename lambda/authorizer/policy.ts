import type { APIGatewayAuthorizerResult } from 'aws-lambda';

import { type Grants, PROTECTED_ROUTES, type RouteDefinition, routePermits } from '../shared/routes';

/** The parts of an `execute-api` method ARN: `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>`. */
export interface MethodArnParts {
  /** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>`, the prefix every route of this stage shares. */
  readonly stagePrefix: string;
  readonly method: string;
  /** Resource path with a leading slash. */
  readonly path: string;
}

const METHOD_ARN = /^(arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+\/[^/]+)\/([A-Z]+)(\/.*)?$/;

export function parseMethodArn(methodArn: string): MethodArnParts {
  const match = METHOD_ARN.exec(methodArn);
  if (!match) throw new Error('methodArn is not an execute-api method ARN');
  return { stagePrefix: match[1], method: match[2], path: match[3] ?? '/' };
}

/** ARN of one route in the same API and stage; `{param}` path segments become `*`. */
function routeArn(stagePrefix: string, route: RouteDefinition): string {
  const path = route.path.replace(/\{[^}]+\}/g, '*');
  return `${stagePrefix}/${route.method}${path}`;
}

export interface RoutePolicy {
  readonly policyDocument: APIGatewayAuthorizerResult['policyDocument'];
  /** Routes allowed, as `METHOD /path`. */
  readonly allowedRoutes: readonly string[];
  /** Whether the route of the `methodArn` that triggered this call is allowed. */
  readonly allowsCalledRoute: boolean;
}

/**
 * Builds a policy that is right for every protected route at once, because API Gateway caches the result per
 * token and reuses it on every route of the API. Each route the grants permit is allowed and every other one
 * is denied, all within the API and stage of `methodArn`.
 */
export function buildRoutePolicy(methodArn: string, grants: Grants): RoutePolicy {
  const { stagePrefix, method, path } = parseMethodArn(methodArn);
  const allowed: RouteDefinition[] = [];
  const denied: RouteDefinition[] = [];
  for (const route of PROTECTED_ROUTES) {
    (routePermits(route, grants) ? allowed : denied).push(route);
  }

  const statements: APIGatewayAuthorizerResult['policyDocument']['Statement'] = [];
  if (allowed.length > 0) {
    statements.push({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: allowed.map((route) => routeArn(stagePrefix, route)),
    });
  }
  // API Gateway rejects a policy without statements, and an explicit Deny documents the refusal.
  if (denied.length > 0 || allowed.length === 0) {
    statements.push({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: denied.length > 0 ? denied.map((route) => routeArn(stagePrefix, route)) : [`${stagePrefix}/*`],
    });
  }

  const calledRoute = allowed.find((route) => route.method === method && route.path === path);
  return {
    policyDocument: { Version: '2012-10-17', Statement: statements },
    allowedRoutes: allowed.map((route) => `${route.method} ${route.path}`),
    allowsCalledRoute: calledRoute !== undefined,
  };
}
