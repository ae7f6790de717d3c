import type { APIGatewayProxyResult } from 'aws-lambda';

import { jsonResponse } from '../shared/http';

/** `GET /health`: public liveness check with no data access. */
export async function handler(): Promise<APIGatewayProxyResult> {
  return jsonResponse(200, { status: 'ok' });
}
