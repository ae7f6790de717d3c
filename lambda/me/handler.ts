import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { jsonResponse } from '../shared/http';
import { callerIdentity } from '../shared/identity';

/** `GET /me`: returns the caller's identity and claims exactly as the authorizer passed them on. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const identity = callerIdentity(event);
  if (!identity) return jsonResponse(401, { message: 'Unauthorized' });
  return jsonResponse(200, identity);
}
