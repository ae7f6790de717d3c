/**
 * A local HTTP gateway with the request handling of an API Gateway REST API whose protected routes use a
 * Lambda TOKEN authorizer: identity validation expression, authorizer result cache, policy evaluation,
 * Lambda proxy integration and the stack's gateway responses. `npm start` runs it; tests run it in-process.
 */
import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import { type AuthorizerDecision, observeDecisions } from '../../lambda/shared/decision-log';
import { ROUTES, type RouteDefinition } from '../../lambda/shared/routes';
import {
  BEARER_IDENTITY_VALIDATION_EXPRESSION,
  CORS_HEADERS,
  GATEWAY_RESPONSES,
  type GatewayResponseKind,
} from '../gateway-responses';
import { AuthorizerResultCache, DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS } from './authorizer-cache';
import { type AuthorizerGrant, parseAuthorizerResult, policyAllows } from './authorizer-result';
import {
  type ApiIdentity,
  buildProxyEvent,
  describeRequest,
  type GatewayRequest,
  lambdaContext,
  parseProxyResult,
  type ProxyResponse,
  splitRequestTarget,
} from './proxy-integration';
import { type AuthorizationOutcome, formatRequestLog, type RequestLogEntry } from './request-log';

/** A route handler as the Lambda runtime calls it. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => unknown;
/** A TOKEN authorizer as the Lambda runtime calls it. */
export type TokenAuthorizer = (event: APIGatewayTokenAuthorizerEvent, context: Context) => unknown;

/** Fixed identifiers of the local API, used in method ARNs and request contexts. */
export const LOCAL_API: ApiIdentity = {
  region: 'us-east-1',
  accountId: '123456789012',
  apiId: 'localapi00',
  stage: 'local',
};

export const GATEWAY_DEFAULTS = {
  authorizerCacheTtlSeconds: DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS,
  authorizerTimeoutMs: 10_000,
  /** API Gateway's default integration timeout. */
  integrationTimeoutMs: 29_000,
  /** API Gateway's payload limit for REST APIs, 10 MB. */
  maxBodyBytes: 10_000_000,
} as const;

export interface GatewayOptions {
  /** @default ROUTES */
  readonly routes?: readonly RouteDefinition[];
  /** The handler of each route, keyed by `RouteDefinition.handler`. */
  readonly handlers: Readonly<Record<string, ProxyHandler>>;
  /** Required when any route is protected. */
  readonly authorizer?: TokenAuthorizer;
  /** Authorizer result TTL in seconds, from 0 (no cache) to 3600. @default 300 */
  readonly authorizerCacheTtlSeconds?: number;
  /** How long the gateway waits for the authorizer before it responds 503, in milliseconds. @default 10000 */
  readonly authorizerTimeoutMs?: number;
  /** How long the gateway waits for a route handler before it responds 504, in milliseconds. @default 29000 */
  readonly integrationTimeoutMs?: number;
  /** Largest request body in bytes; a larger one gets a 413 response. @default 10 MB */
  readonly maxBodyBytes?: number;
  /** @default LOCAL_API */
  readonly api?: ApiIdentity;
  /** Receives one entry per request. @default one formatted line on stdout */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Receives errors the gateway caught: handler crashes and authorizer failures. @default stderr */
  readonly onError?: (message: string, error: unknown) => void;
  /** Clock of the result cache, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Per-request state, reachable from the decision log listener through AsyncLocalStorage. */
interface RequestState {
  decision?: AuthorizerDecision;
  authorization?: AuthorizationOutcome;
  note?: string;
}

const BEARER_HEADER = new RegExp(BEARER_IDENTITY_VALIDATION_EXPRESSION);
const INTERNAL_SERVER_ERROR = { message: 'Internal server error' };

class TimeoutError extends Error {
  public override readonly name = 'TimeoutError';
}

/**
 * Creates the gateway's HTTP server, which the caller starts with `listen`. Closing the server removes its
 * decision log listener.
 */
export function createGateway(options: GatewayOptions): Server {
  const routes = options.routes ?? ROUTES;
  const api = options.api ?? LOCAL_API;
  const authorizerTimeoutMs = options.authorizerTimeoutMs ?? GATEWAY_DEFAULTS.authorizerTimeoutMs;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? GATEWAY_DEFAULTS.integrationTimeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? GATEWAY_DEFAULTS.maxBodyBytes;
  const cache = new AuthorizerResultCache(
    options.authorizerCacheTtlSeconds ?? GATEWAY_DEFAULTS.authorizerCacheTtlSeconds,
    options.now,
  );
  const onRequest = options.onRequest ?? ((entry) => process.stdout.write(`${formatRequestLog(entry)}\n`));
  const onError = options.onError ?? defaultErrorReporter;

  for (const route of routes) {
    if (typeof options.handlers[route.handler] !== 'function') {
      throw new TypeError(`no handler function for ${route.method} ${route.path} (handler "${route.handler}")`);
    }
  }
  if (routes.some((route) => route.access === 'protected') && typeof options.authorizer !== 'function') {
    throw new TypeError('protected routes need an authorizer function');
  }

  const requests = new AsyncLocalStorage<RequestState>();
  const stopObserving = observeDecisions((decision) => {
    const state = requests.getStore();
    if (state) state.decision = decision;
  });

  /** Runs the authorizer (or reuses a cached result) and evaluates the policy for the called method. */
  async function authorize(
    request: GatewayRequest,
    authorization: string | undefined,
    state: RequestState,
  ): Promise<{ response: GatewayResponseKind } | { grant: AuthorizerGrant }> {
    if (authorization === undefined || !BEARER_HEADER.test(authorization)) {
      state.authorization = { kind: 'not-invoked' };
      return { response: 'UNAUTHORIZED' };
    }
    const stageArn = `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}`;
    const methodArn = `${stageArn}/${request.method}/${request.path.slice(1)}`;

    let grant = cache.get(authorization);
    const cached = grant !== undefined;
    if (!grant) {
      let result: unknown;
      try {
        const event: APIGatewayTokenAuthorizerEvent = { type: 'TOKEN', authorizationToken: authorization, methodArn };
        const context = lambdaContext('local-authorizer', request.requestId, Date.now() + authorizerTimeoutMs, api);
        result = jsonRoundTrip(await withTimeout(() => options.authorizer!(event, context), authorizerTimeoutMs));
      } catch (error) {
        if (errorMessage(error) === 'Unauthorized') {
          state.authorization = { kind: 'unauthorized' };
          return { response: 'UNAUTHORIZED' };
        }
        const description =
          error instanceof TimeoutError ? `timed out after ${authorizerTimeoutMs} ms` : describeError(error);
        state.authorization = { kind: 'failure', error: description };
        onError(`Authorizer failed for request ${request.requestId}`, error);
        return { response: 'AUTHORIZER_FAILURE' };
      }

      try {
        grant = parseAuthorizerResult(result);
      } catch (error) {
        state.authorization = { kind: 'configuration-error', error: errorMessage(error) };
        onError(`Authorizer returned an invalid result for request ${request.requestId}`, error);
        return { response: 'AUTHORIZER_CONFIGURATION_ERROR' };
      }
      cache.set(authorization, grant);
    }

    const allowed = policyAllows(grant.statements, methodArn);
    state.authorization = { kind: 'policy', cached, allowed };
    return allowed ? { grant } : { response: 'ACCESS_DENIED' };
  }

  /** Calls the route handler and converts its result, or returns the response API Gateway would send instead. */
  async function integrate(
    route: RouteDefinition,
    request: GatewayRequest,
    grant: AuthorizerGrant | undefined,
    state: RequestState,
  ): Promise<ProxyResponse | { statusCode: number; body: object }> {
    const authorizerContext = grant ? { ...grant.context, principalId: grant.principalId } : undefined;
    const event = jsonRoundTrip(buildProxyEvent(request, route.path, api, authorizerContext));
    const context = lambdaContext(`local-${route.handler}`, request.requestId, Date.now() + integrationTimeoutMs, api);
    const handler = options.handlers[route.handler];

    try {
      const result = await withTimeout(() => handler(event as APIGatewayProxyEvent, context), integrationTimeoutMs);
      return parseProxyResult(jsonRoundTrip(result));
    } catch (error) {
      if (error instanceof TimeoutError) {
        state.note = `handler ${route.handler} timed out after ${integrationTimeoutMs} ms`;
        return { statusCode: 504, body: { message: 'Endpoint request timed out' } };
      }
      state.note = `handler ${route.handler} failed: ${describeError(error)}`;
      onError(`Handler ${route.handler} failed for request ${request.requestId}`, error);
      return { statusCode: 502, body: INTERNAL_SERVER_ERROR };
    }
  }

  async function handle(incoming: IncomingMessage, response: ServerResponse, state: RequestState, requestId: string) {
    const receivedAt = new Date();
    const body = await readBody(incoming, maxBodyBytes);
    if (body === undefined) {
      state.note = `request body exceeds ${maxBodyBytes} bytes`;
      sendJson(response, requestId, 413, { message: 'Request Too Long' }, {});
      return;
    }
    const request = describeRequest(incoming, body, requestId, receivedAt);

    const methodsAtPath = routes.filter((route) => route.path === request.path).map((route) => route.method);
    if (request.method === 'OPTIONS' && methodsAtPath.length > 0) {
      // The stack's CORS preflight is a mock integration without authorizer.
      const headers = { ...CORS_HEADERS, 'Access-Control-Allow-Methods': methodsAtPath.join(',') };
      sendBytes(response, requestId, 204, headers, Buffer.alloc(0));
      return;
    }

    const route = routes.find((candidate) => candidate.method === request.method && candidate.path === request.path);
    if (!route) {
      state.note = 'no such route';
      sendGatewayResponse(response, requestId, 'MISSING_AUTHENTICATION_TOKEN');
      return;
    }

    let grant: AuthorizerGrant | undefined;
    if (route.access === 'protected') {
      const outcome = await authorize(request, incoming.headers.authorization, state);
      if ('response' in outcome) {
        sendGatewayResponse(response, requestId, outcome.response);
        return;
      }
      grant = outcome.grant;
    }

    const result = await integrate(route, request, grant, state);
    if ('headers' in result) {
      const headers: Record<string, string[]> = Object.fromEntries(result.headers);
      sendBytes(response, requestId, result.statusCode, headers, result.body);
    } else {
      sendJson(response, requestId, result.statusCode, result.body, {});
    }
  }

  const server = createServer((incoming, response) => {
    const started = performance.now();
    const requestId = randomUUID();
    const state: RequestState = {};

    void requests.run(state, async () => {
      try {
        await handle(incoming, response, state, requestId);
      } catch (error) {
        // A client that aborts while sending the body gets here, and so does a defect in the gateway.
        onError(`Gateway failed on request ${requestId}`, error);
        state.note = `gateway error: ${describeError(error)}`;
        if (!response.headersSent) sendJson(response, requestId, 500, INTERNAL_SERVER_ERROR, {});
        else response.destroy();
      }
      onRequest({
        requestId,
        method: incoming.method ?? 'GET',
        path: splitRequestTarget(incoming.url).path,
        statusCode: response.statusCode,
        latencyMs: performance.now() - started,
        authorization: state.authorization,
        decision: state.decision,
        note: state.note,
      });
    });
  });
  server.on('close', stopObserving);
  return server;
}

/** Reads the whole body, or returns undefined once it exceeds `limit` bytes (the rest is read and discarded). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(request.headers['content-length'] ?? 0) > limit;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendGatewayResponse(response: ServerResponse, requestId: string, kind: GatewayResponseKind): void {
  const definition = GATEWAY_RESPONSES[kind];
  sendJson(response, requestId, definition.statusCode, definition.body, definition.headers);
}

function sendJson(
  response: ServerResponse,
  requestId: string,
  statusCode: number,
  body: object,
  headers: Readonly<Record<string, string>>,
): void {
  const jsonHeaders = { ...headers, 'Content-Type': 'application/json' };
  sendBytes(response, requestId, statusCode, jsonHeaders, Buffer.from(JSON.stringify(body)));
}

function sendBytes(
  response: ServerResponse,
  requestId: string,
  statusCode: number,
  headers: Readonly<Record<string, string | string[]>>,
  body: Buffer,
): void {
  response.statusCode = statusCode;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.setHeader('x-amzn-RequestId', requestId);
  response.setHeader('Content-Length', body.length);
  response.end(body);
}

/** Calls `work` and rejects with TimeoutError after `timeoutMs`. The work itself keeps running. */
async function withTimeout<T>(work: () => T, timeoutMs: number): Promise<Awaited<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Serializes and parses a value the way the Lambda runtime passes events and results as JSON. */
function jsonRoundTrip(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function defaultErrorReporter(message: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? describeError(error)) : String(error);
  process.stderr.write(`${message}\n${detail}\n`);
}
