/**
 * The Lambda proxy integration (payload format 1.0) of an API Gateway REST API: builds the event a handler
 * receives and checks the result it returns.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { IncomingMessage } from 'node:http';

/** Region, account, API id and stage that appear in method ARNs and request contexts. */
export interface ApiIdentity {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
}

/** The request as the gateway read it, before any route handling. */
export interface GatewayRequest {
  readonly requestId: string;
  readonly method: string;
  /** Path without the query string, as sent. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header names as the client wrote them, in order, with repeats. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly receivedAt: Date;
  readonly host: string;
  readonly localPort: number;
}

/**
 * Splits a request target into path and query string. The path stays as sent: no dot-segment removal and
 * no host taken from a target such as `//host/me`, so such a target matches no route.
 */
export function splitRequestTarget(target: string | undefined): { path: string; query: URLSearchParams } {
  const text = target ?? '/';
  const queryStart = text.indexOf('?');
  if (queryStart === -1) return { path: text, query: new URLSearchParams() };
  return { path: text.slice(0, queryStart), query: new URLSearchParams(text.slice(queryStart + 1)) };
}

/** Reads the parts of an incoming request the gateway uses. The caller reads the body. */
export function describeRequest(
  request: IncomingMessage,
  body: Buffer,
  requestId: string,
  receivedAt: Date,
): GatewayRequest {
  const { path, query } = splitRequestTarget(request.url);
  const remote = request.socket.remoteAddress ?? '127.0.0.1';
  return {
    requestId,
    method: (request.method ?? 'GET').toUpperCase(),
    path,
    query,
    rawHeaders: request.rawHeaders,
    body,
    sourceIp: remote.startsWith('::ffff:') ? remote.slice('::ffff:'.length) : remote,
    receivedAt,
    host: request.headers.host ?? '127.0.0.1',
    localPort: request.socket.localPort ?? 0,
  };
}

/**
 * Content types delivered to the handler as UTF-8 text. Any other body arrives base64-encoded with
 * `isBase64Encoded: true`, as it does on an API that lists `*\/*` as a binary media type.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript' ||
    type === 'application/graphql'
  );
}

/**
 * Builds the proxy event. `authorizer` is the context API Gateway adds after a TOKEN authorizer allowed the
 * request: `principalId` plus the returned context, every value a string. Public routes get none.
 */
export function buildProxyEvent(
  request: GatewayRequest,
  resource: string,
  api: ApiIdentity,
  authorizer: Record<string, string> | undefined,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const addHeader = (name: string, value: string) => {
    // Repeats of a name keep the spelling of its first occurrence, and `headers` contains the last value.
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase());
    const key = existing ?? name;
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  };
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    addHeader(request.rawHeaders[index], request.rawHeaders[index + 1]);
  }
  // API Gateway adds these for the backend.
  addHeader('X-Forwarded-For', request.sourceIp);
  addHeader('X-Forwarded-Port', String(request.localPort));
  addHeader('X-Forwarded-Proto', 'http');

  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  for (const [name, value] of request.query) {
    (queryStringParameters ??= {})[name] = value;
    ((multiValueQueryStringParameters ??= {})[name] ??= []).push(value);
  }

  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const hasBody = request.body.length > 0;
  const isBase64Encoded = hasBody && !isTextContentType(contentType);
  let body: string | null = null;
  if (hasBody) body = request.body.toString(isBase64Encoded ? 'base64' : 'utf8');

  const userAgent = Object.entries(headers).find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;

  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: api.accountId,
      apiId: api.apiId,
      authorizer: authorizer ? { ...authorizer } : undefined,
      domainName: request.host,
      domainPrefix: request.host.split('.')[0].split(':')[0],
      extendedRequestId: request.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${api.stage}${request.path}`,
      protocol: 'HTTP/1.1',
      requestId: request.requestId,
      requestTime: formatRequestTime(request.receivedAt),
      requestTimeEpoch: request.receivedAt.getTime(),
      resourceId: resourceId(resource),
      resourcePath: resource,
      stage: api.stage,
    },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestTime` in API Gateway's CLF form, e.g. `09/Apr/2015:12:34:56 +0000`. */
function formatRequestTime(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/** Derives a stable six-character id from the resource path, in place of the id API Gateway assigns. */
function resourceId(resource: string): string {
  let hash = 0;
  for (const char of resource) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(36).padStart(6, '0').slice(-6);
}

/** A Lambda context for one invocation of a local handler. */
export function lambdaContext(functionName: string, requestId: string, deadline: number, api: ApiIdentity): Context {
  const fail = () => {
    throw new Error('The local gateway supports async handlers only; return a promise instead of using callbacks');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${api.region}:${api.accountId}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/** A handler result that API Gateway can turn into an HTTP response. */
export interface ProxyResponse {
  readonly statusCode: number;
  /** Header values per name; a name listed in both `headers` and `multiValueHeaders` takes the latter's values. */
  readonly headers: ReadonlyMap<string, string[]>;
  readonly body: Buffer;
}

/** The handler returned something other than a valid proxy result, so API Gateway responds 502. */
export class MalformedProxyResponseError extends Error {
  public override readonly name = 'MalformedProxyResponseError';
}

// Framing headers come from the gateway's own HTTP layer, not from the handler.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Validates a handler result after the JSON round trip Lambda applies: `statusCode` an integer from 100 to
 * 599, optional `headers` (string, number or boolean values), `multiValueHeaders` (lists of them), `body`
 * (string) and `isBase64Encoded` (boolean).
 */
export function parseProxyResult(result: unknown): ProxyResponse {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new MalformedProxyResponseError('the handler result is not an object');
  }
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>;

  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedProxyResponseError('statusCode must be an integer from 100 to 599');
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new MalformedProxyResponseError('body must be a string');
  }
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') {
    throw new MalformedProxyResponseError('isBase64Encoded must be a boolean');
  }

  const merged = new Map<string, string[]>();
  const lowerNames = new Map<string, string>();
  const put = (name: string, values: string[]) => {
    const key = lowerNames.get(name.toLowerCase()) ?? name;
    lowerNames.set(name.toLowerCase(), key);
    merged.set(key, values);
  };
  for (const [name, value] of headerEntries(headers, 'headers')) {
    if (!FRAMING_HEADERS.has(name.toLowerCase())) put(name, [headerValue(value, `headers.${name}`)]);
  }
  for (const [name, values] of headerEntries(multiValueHeaders, 'multiValueHeaders')) {
    if (!Array.isArray(values)) throw new MalformedProxyResponseError(`multiValueHeaders.${name} must be a list`);
    if (!FRAMING_HEADERS.has(name.toLowerCase())) {
      put(name, values.map((value) => headerValue(value, `multiValueHeaders.${name}`)));
    }
  }
  // API Gateway labels a proxy response without a content type as JSON.
  if (!lowerNames.has('content-type')) put('Content-Type', ['application/json']);

  const text = typeof body === 'string' ? body : '';
  return {
    statusCode,
    headers: merged,
    body: isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}

function headerEntries(value: unknown, label: string): [string, unknown][] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedProxyResponseError(`${label} must be an object`);
  }
  return Object.entries(value);
}

function headerValue(value: unknown, label: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    if (/[\r\n]/.test(text)) throw new MalformedProxyResponseError(`${label} contains a line break`);
    return text;
  }
  throw new MalformedProxyResponseError(`${label} must be a string, number or boolean`);
}
