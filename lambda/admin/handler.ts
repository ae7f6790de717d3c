import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { jsonResponse } from '../shared/http';
import { callerIdentity } from '../shared/identity';
import { findRoute, type RouteDefinition, routePermits } from '../shared/routes';

const ADMIN_ROUTE: RouteDefinition = (() => {
  const route = findRoute('GET', '/admin');
  if (!route) throw new Error('route table has no GET /admin; add it to lambda/shared/routes.ts');
  return route;
})();

/**
 * `GET /admin`: the authorizer's policy already admits only callers with the `admin` scope or group. The
 * handler checks again, so a misconfigured gateway cannot expose it.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const identity = callerIdentity(event);
  if (!identity) return jsonResponse(401, { message: 'Unauthorized' });

  if (!routePermits(ADMIN_ROUTE, identity)) {
    return jsonResponse(403, { message: 'Forbidden: the admin scope or group is required' });
  }

  return jsonResponse(200, { message: 'Admin access granted', sub: identity.sub });
}
