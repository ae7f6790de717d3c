import * as path from 'node:path';

import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { ROUTES, type HttpMethod, type RouteDefinition } from '../../lambda/shared/routes';
import { readLocalTokenSettings } from '../../lambda/shared/settings';
import {
  BEARER_IDENTITY_VALIDATION_EXPRESSION,
  CORS_HEADERS,
  GATEWAY_RESPONSES,
  type GatewayResponseKind,
} from '../gateway-responses';
import { HandlerFunction } from './handler-function';
import {
  resolveJwtProtectedApiProps,
  type JwtProtectedApiProps,
  type ResolvedJwtProtectedApiProps,
} from './jwt-protected-api-props';
import { acknowledgeNagFindings } from './jwt-protected-api-nag';

export { InvalidPropError, type JwtProtectedApiProps } from './jwt-protected-api-props';

/** Handler folder of the route that mints local tokens. It alone reads the users table. */
export const LOGIN_HANDLER = 'login';

/**
 * An API Gateway REST API for the routes of `lambda/shared/routes.ts`, the same table the authorizer's
 * policy builder reads. Protected routes go through a Lambda TOKEN authorizer that verifies Bearer JWTs:
 * local HS256 tokens from the login route, and tokens of an optional external OIDC or Cognito issuer.
 * Public routes have no authorizer. Every route handler and the authorizer is a Node.js Lambda function
 * with its own log group and least-privilege role.
 */
export class JwtProtectedApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly authorizer: apigateway.TokenAuthorizer;
  public readonly authorizerFunction: HandlerFunction;
  /** One function per handler folder named in the route table, keyed by folder name. */
  public readonly routeFunctions: ReadonlyMap<string, HandlerFunction>;
  /** One method per route of the table, keyed by `<method> <path>`, for example `GET /me`. */
  public readonly routeMethods: ReadonlyMap<string, apigateway.Method>;
  public readonly accessLogGroup: logs.LogGroup;
  /** Base URL of the stage, ending in `/`. */
  public readonly url: string;
  /** URL of the login route. */
  public readonly loginUrl: string;

  public constructor(scope: Construct, id: string, props: JwtProtectedApiProps) {
    super(scope, id);
    const settings = resolveJwtProtectedApiProps(props);
    const loginRoute = findLoginRoute();

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      retention: settings.logRetention,
      removalPolicy: settings.logRemovalPolicy,
    });
    this.api = this.createRestApi(settings, loginRoute);

    this.authorizerFunction = this.createAuthorizerFunction(settings);
    this.authorizer = new apigateway.TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      validationRegex: BEARER_IDENTITY_VALIDATION_EXPRESSION,
      resultsCacheTtl: settings.authorizerCacheTtl,
    });

    this.routeFunctions = this.createRouteFunctions(settings);
    this.routeMethods = this.addRoutes();
    this.addGatewayResponses();

    this.grantAuthorizerAccess(settings);
    this.grantLoginAccess(settings);

    this.url = this.api.url;
    this.loginUrl = this.api.urlForPath(loginRoute.path);
    // RestApi adds a stack output of its URL; the stack that uses this construct chooses its own outputs.
    this.api.node.tryRemoveChild('Endpoint');
    acknowledgeNagFindings(this);
  }

  private createRestApi(settings: ResolvedJwtProtectedApiProps, loginRoute: RouteDefinition): apigateway.RestApi {
    // Execution logs at ERROR level only, and never the request data, which contains the bearer token.
    const logging = {
      loggingLevel: apigateway.MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
    };
    return new apigateway.RestApi(this, 'RestApi', {
      description: 'REST API whose protected routes require a Bearer JWT checked by a Lambda TOKEN authorizer',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: settings.cloudWatchRole,
      deployOptions: {
        stageName: settings.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        ...logging,
        throttlingRateLimit: settings.throttling.rateLimit,
        throttlingBurstLimit: settings.throttling.burstLimit,
        methodOptions: {
          // API Gateway's method settings key: the resource path followed by the HTTP method.
          [`${loginRoute.path}/${loginRoute.method}`]: {
            ...logging,
            throttlingRateLimit: settings.loginThrottling.rateLimit,
            throttlingBurstLimit: settings.loginThrottling.burstLimit,
          },
        },
      },
    });
  }

  private createAuthorizerFunction(settings: ResolvedJwtProtectedApiProps): HandlerFunction {
    return new HandlerFunction(this, 'AuthorizerHandler', {
      entry: path.join(settings.lambdaDirectory, 'authorizer', 'handler.ts'),
      description: 'Lambda TOKEN authorizer: verifies the Bearer JWT and returns a policy for the routes it permits',
      memorySize: settings.authorizerMemorySize,
      timeout: settings.authorizerTimeout,
      environment: {
        ISSUER_URL: settings.issuerUrl,
        AUDIENCE: settings.audience,
        JWKS_URI: settings.jwksUri,
        TOKEN_USE: settings.tokenUse,
        SIGNING_SECRET_ARN: settings.signingSecret.secretArn,
        ...localTokenEnvironment(),
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.logRemovalPolicy,
    });
  }

  private createRouteFunctions(settings: ResolvedJwtProtectedApiProps): Map<string, HandlerFunction> {
    const functions = new Map<string, HandlerFunction>();
    for (const handler of new Set(ROUTES.map((route) => route.handler))) {
      const isLogin = handler === LOGIN_HANDLER;
      const routeList = ROUTES.filter((route) => route.handler === handler)
        .map((route) => `${route.method} ${route.path}`)
        .join(', ');
      const environment: Record<string, string> = isLogin
        ? {
            SIGNING_SECRET_ARN: settings.signingSecret.secretArn,
            USERS_TABLE: settings.usersTable.tableName,
            ...localTokenEnvironment(),
          }
        : {};

      const routeFunction = new HandlerFunction(this, `${pascalCase(handler)}Handler`, {
        entry: path.join(settings.lambdaDirectory, handler, 'handler.ts'),
        description: `Handler of ${routeList}`,
        memorySize: isLogin ? settings.loginMemorySize : settings.handlerMemorySize,
        timeout: isLogin ? settings.loginTimeout : settings.handlerTimeout,
        environment,
        logRetention: settings.logRetention,
        logRemovalPolicy: settings.logRemovalPolicy,
      });
      functions.set(handler, routeFunction);
    }
    return functions;
  }

  /** Adds one method per route, then one CORS preflight per resource that has routes. */
  private addRoutes(): Map<string, apigateway.Method> {
    const routeMethods = new Map<string, apigateway.Method>();
    const methodsByPath = new Map<string, HttpMethod[]>();

    for (const route of ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const integration = new apigateway.LambdaIntegration(this.routeFunction(route.handler).function);
      const access: apigateway.MethodOptions =
        route.access === 'protected'
          ? { authorizer: this.authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }
          : { authorizationType: apigateway.AuthorizationType.NONE };
      routeMethods.set(routeKey(route), resource.addMethod(route.method, integration, access));

      methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
    }

    for (const [resourcePath, methods] of methodsByPath) {
      this.api.root.resourceForPath(resourcePath).addCorsPreflight({
        allowOrigins: [CORS_HEADERS['Access-Control-Allow-Origin']],
        allowHeaders: CORS_HEADERS['Access-Control-Allow-Headers'].split(','),
        allowMethods: methods,
      });
    }
    return routeMethods;
  }

  /** Adds the gateway responses, so requests that API Gateway itself rejects get the shared status, headers and body. */
  private addGatewayResponses(): void {
    for (const [kind, definition] of Object.entries(GATEWAY_RESPONSES) as [GatewayResponseKind, (typeof GATEWAY_RESPONSES)[GatewayResponseKind]][]) {
      this.api.addGatewayResponse(`${pascalCase(kind)}Response`, {
        type: apigateway.ResponseType.of(kind),
        statusCode: String(definition.statusCode),
        responseHeaders: quoteHeaderValues(definition.headers),
        templates: { 'application/json': JSON.stringify(definition.body) },
      });
    }
  }

  /** Grants the authorizer read access to the signing secret and nothing else. */
  private grantAuthorizerAccess(settings: ResolvedJwtProtectedApiProps): void {
    grantSecretValue(this.authorizerFunction, settings);
  }

  /**
   * Grants the login Lambda what it calls: it reads the signing secret, reads a user, and updates the user's
   * lockout counters and password hash. The users CLI creates and deletes users with the operator's credentials.
   */
  private grantLoginAccess(settings: ResolvedJwtProtectedApiProps): void {
    const login = this.routeFunction(LOGIN_HANDLER);
    grantSecretValue(login, settings);

    login.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [settings.usersTable.tableArn],
      }),
    );
    settings.usersTable.encryptionKey?.grantEncryptDecrypt(login.role);
  }

  /** Returns the API Gateway method of a route, or undefined when the route table has no such route. */
  public methodFor(route: Pick<RouteDefinition, 'method' | 'path'>): apigateway.Method | undefined {
    return this.routeMethods.get(routeKey(route));
  }

  private routeFunction(handler: string): HandlerFunction {
    const routeFunction = this.routeFunctions.get(handler);
    if (!routeFunction) {
      throw new Error(`JwtProtectedApi: no function was created for handler "${handler}"`);
    }
    return routeFunction;
  }
}

/** Only `secretsmanager:GetSecretValue`, which is all the signing-key source calls. */
function grantSecretValue(target: HandlerFunction, settings: ResolvedJwtProtectedApiProps): void {
  target.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [settings.signingSecret.secretArn],
    }),
  );
  settings.signingSecret.encryptionKey?.grantDecrypt(target.role);
}

/** `GET /me`: the key of `routeMethods`. */
function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

function findLoginRoute(): RouteDefinition {
  const loginRoutes = ROUTES.filter((route) => route.handler === LOGIN_HANDLER);
  if (loginRoutes.length !== 1 || loginRoutes[0].access !== 'public') {
    throw new Error(
      `JwtProtectedApi: the route table must have exactly one public route with handler "${LOGIN_HANDLER}"; found ${loginRoutes.length}`,
    );
  }
  return loginRoutes[0];
}

/** Returns the issuer and audience of local tokens: the defaults of `readLocalTokenSettings`. */
function localTokenEnvironment(): Record<string, string> {
  const local = readLocalTokenSettings({});
  return { LOCAL_ISSUER: local.issuer, LOCAL_AUDIENCE: local.audience };
}

/**
 * Builds the access log format: one JSON object per request with the authorizer's outcome and the caller's
 * `sub` (the principal id). It leaves out the Authorization header, so the bearer token never reaches the log.
 */
function accessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: apigateway.AccessLogField.contextRequestId(),
      requestTime: apigateway.AccessLogField.contextRequestTime(),
      sourceIp: apigateway.AccessLogField.contextIdentitySourceIp(),
      userAgent: apigateway.AccessLogField.contextIdentityUserAgent(),
      httpMethod: apigateway.AccessLogField.contextHttpMethod(),
      resourcePath: apigateway.AccessLogField.contextResourcePath(),
      protocol: apigateway.AccessLogField.contextProtocol(),
      status: apigateway.AccessLogField.contextStatus(),
      responseLength: apigateway.AccessLogField.contextResponseLength(),
      responseLatency: apigateway.AccessLogField.contextResponseLatency(),
      integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
      principalId: apigateway.AccessLogField.contextAuthorizerPrincipalId(),
      authorizerStatus: apigateway.AccessLogField.contextAuthorizerIntegrationStatus(),
      authorizerLatency: apigateway.AccessLogField.contextAuthorizerLatency(),
      authorizerError: apigateway.AccessLogField.contextAuthorizerError(),
      errorResponseType: apigateway.AccessLogField.contextErrorResponseType(),
      errorMessage: apigateway.AccessLogField.contextErrorMessage(),
    }),
  );
}

/**
 * Wraps each header value in single quotes, which API Gateway reads as a literal; an unquoted value would be
 * read as a mapping expression. A literal has no escape for a single quote inside it.
 */
export function quoteHeaderValues(headers: Readonly<Record<string, string>>): Record<string, string> {
  const quoted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value.includes("'")) {
      throw new Error(`JwtProtectedApi: gateway response header ${name} contains a single quote, which API Gateway cannot express; remove it`);
    }
    quoted[name] = `'${value}'`;
  }
  return quoted;
}

/** `login` → `Login`, `AUTHORIZER_FAILURE` → `AuthorizerFailure`, `user-profile` → `UserProfile`. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0].toUpperCase() + part.slice(1).toLowerCase())
    .join('');
}
