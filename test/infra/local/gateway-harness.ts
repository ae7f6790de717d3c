import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import type { Server } from 'node:http';

import { createGateway, type GatewayOptions, LOCAL_API } from '../../../infra/local/gateway';
import type { RequestLogEntry } from '../../../infra/local/request-log';
import { closeServer, listenOnLoopback } from '../../helpers/loopback-server';
import type { RouteDefinition } from '../../../lambda/shared/routes';

/** Method ARN prefix of the local API, `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>`. */
export const ARN_PREFIX = `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.accountId}:${LOCAL_API.apiId}/${LOCAL_API.stage}`;

/** Routes of the fake API the in-process tests serve. */
export const TEST_ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/public', handler: 'echo', access: 'public' },
  { method: 'POST', path: '/public', handler: 'echo', access: 'public' },
  { method: 'GET', path: '/items', handler: 'echo', access: 'protected' },
  { method: 'GET', path: '/secret', handler: 'echo', access: 'protected' },
  { method: 'GET', path: '/crash', handler: 'crash', access: 'public' },
  { method: 'GET', path: '/custom', handler: 'custom', access: 'public' },
];

/** Returns the proxy event it received as the JSON body. */
export async function echoHandler(event: APIGatewayProxyEvent) {
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) };
}

/** Builds a policy document with one `execute-api:Invoke` statement per entry. */
export function policy(...statements: Array<{ Effect: string; Resource: unknown; Action?: unknown }>) {
  return {
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({ Action: 'execute-api:Invoke', ...statement })),
  };
}

/** Builds a token-shaped Authorization header that carries `name`, which the fake authorizers read back. */
export function bearer(name: string): string {
  const segment = Buffer.from(name).toString('base64url');
  return `Bearer ${segment}.${segment}.${segment}`;
}

/** Reads back the name passed to `bearer`. */
export function tokenName(event: APIGatewayTokenAuthorizerEvent): string {
  const segment = event.authorizationToken.split(' ')[1].split('.')[0];
  return Buffer.from(segment, 'base64url').toString('utf8');
}

export interface RunningGateway {
  readonly url: string;
  readonly log: RequestLogEntry[];
  readonly errors: string[];
  close(): Promise<void>;
}

/** Starts a gateway on 127.0.0.1 with the test routes, collecting its log entries and errors. */
export async function startGateway(options: Partial<GatewayOptions>): Promise<RunningGateway> {
  const log: RequestLogEntry[] = [];
  const errors: string[] = [];
  const server: Server = createGateway({
    routes: TEST_ROUTES,
    handlers: {
      echo: echoHandler,
      crash: async () => {
        throw new Error('handler crashed');
      },
      custom: async () => ({ statusCode: 204 }),
    },
    onRequest: (entry) => log.push(entry),
    onError: (message) => errors.push(message),
    ...options,
  });
  return {
    url: await listenOnLoopback(server),
    log,
    errors,
    close: () => closeServer(server),
  };
}
