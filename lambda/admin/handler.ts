import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { jsonResponse } from '../shared/http';
import { callerIdentity } from '../shared/identity';
import { findRoute } from '../shared/routes';

const requirement = findRoute('GET', '/admin')?.requires ?? {};

/**
 * `GET /admin`: the authorizer's policy already admits only callers with the `admin` scope or group. The
 * handler checks again, so a misconfigured gateway cannot expose it.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const identity = callerIdentity(event);
  if (!identity) return jsonResponse(401, { message: 'Unauthorized' });

  const permitted =
    identity.scopes.some((scope) => requirement.scopes?.includes(scope)) ||
    identity.groups.some((group) => requirement.groups?.includes(group));
  if (!permitted) return jsonResponse(403, { message: 'Forbidden: the admin scope or group is required' });

  return jsonResponse(200, { message: 'Admin access granted', sub: identity.sub });
}
