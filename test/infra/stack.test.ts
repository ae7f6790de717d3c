import { Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

import { BEARER_IDENTITY_VALIDATION_EXPRESSION, GATEWAY_RESPONSES } from '../../infra/gateway-responses';
import { JwtAuthorizerStack } from '../../infra/stack';
import { ROUTES } from '../../lambda/shared/routes';
import { LOCAL_TOKEN_DEFAULTS } from '../../lambda/shared/settings';
import { USERS_TABLE_PARTITION_KEY } from '../../lambda/shared/users-table';
import { createTestApp } from './constructs/test-app';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

let stack: JwtAuthorizerStack;
let template: Template;
let resources: Resources;

beforeAll(() => {
  stack = new JwtAuthorizerStack(createTestApp(), 'TestStack');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

function resourcesOfType(type: string): [string, Resources[string]][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** Returns the URL path of an API Gateway resource id, built from the PathPart chain up to the root. */
function pathOf(resourceId: { Ref?: string; 'Fn::GetAtt'?: [string, string] }): string {
  if (resourceId['Fn::GetAtt']) return '/';
  const parts: string[] = [];
  let current: string | undefined = resourceId.Ref;
  while (current) {
    const resource: Resources[string] = resources[current];
    parts.unshift(resource.Properties.PathPart);
    current = resource.Properties.ParentId.Ref;
  }
  return `/${parts.join('/')}`;
}

interface SynthesizedMethod {
  readonly key: string;
  readonly properties: Record<string, any>;
}

function synthesizedMethods(): SynthesizedMethod[] {
  return resourcesOfType('AWS::ApiGateway::Method').map(([, method]) => ({
    key: `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`,
    properties: method.Properties,
  }));
}

function methodFor(route: { method: string; path: string }): Record<string, any> {
  const found = synthesizedMethods().filter((method) => method.key === `${route.method} ${route.path}`);
  expect(found).toHaveLength(1);
  return found[0].properties;
}

/** Statements of every policy attached to the function's execution role. */
function roleStatements(functionLogicalId: string): Record<string, any>[] {
  const roleId = resources[functionLogicalId].Properties.Role['Fn::GetAtt'][0];
  return resourcesOfType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
}

function nonLoggingStatements(functionLogicalId: string): Record<string, any>[] {
  return roleStatements(functionLogicalId).filter(
    (statement) => ![statement.Action].flat().every((action: string) => action.startsWith('logs:')),
  );
}

describe('JwtAuthorizerStack routes', () => {
  test('methods equal the route table', () => {
    const synthesized = synthesizedMethods()
      .map((method) => method.key)
      .filter((key) => !key.startsWith('OPTIONS '))
      .sort();
    const expected = ROUTES.map((route) => `${route.method} ${route.path}`).sort();

    expect(synthesized).toEqual(expected);
  });

  test('protected methods use the authorizer', () => {
    const authorizerId = logicalIdOf(stack.api.authorizer);

    for (const route of ROUTES.filter((candidate) => candidate.access === 'protected')) {
      const method = methodFor(route);
      expect(method.AuthorizationType).toBe('CUSTOM');
      expect(method.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  test('public methods have no authorizer', () => {
    for (const route of ROUTES.filter((candidate) => candidate.access === 'public')) {
      const method = methodFor(route);
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.AuthorizerId).toBeUndefined();
    }
  });

  test('each method invokes its handler function', () => {
    for (const route of ROUTES) {
      const functionId = logicalIdOf(stack.api.routeFunctions.get(route.handler)!.function);
      const method = methodFor(route);

      expect(method.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(method.Integration.Uri)).toContain(`"${functionId}"`);
    }
  });

  test('every route path has a CORS preflight', () => {
    const preflights = synthesizedMethods().filter((method) => method.key.startsWith('OPTIONS '));
    const routePaths = [...new Set(ROUTES.map((route) => route.path))].sort();

    expect(preflights.map((method) => method.key.slice('OPTIONS '.length)).sort()).toEqual(routePaths);
    for (const routePath of routePaths) {
      const preflight = methodFor({ method: 'OPTIONS', path: routePath });
      const allowedMethods = ROUTES.filter((route) => route.path === routePath).map((route) => route.method);
      const headers = preflight.Integration.IntegrationResponses[0].ResponseParameters;

      expect(preflight.AuthorizationType).toBe('NONE');
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'*'");
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toBe("'Authorization,Content-Type'");
      expect(headers['method.response.header.Access-Control-Allow-Methods']).toBe(`'${allowedMethods.join(',')}'`);
    }
  });
});

describe('JwtAuthorizerStack authorizer', () => {
  test('is a TOKEN authorizer on the Authorization header', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: BEARER_IDENTITY_VALIDATION_EXPRESSION,
      AuthorizerResultTtlInSeconds: { Ref: 'AuthorizerCacheTtl' },
    });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
  });

  test('invokes the authorizer function', () => {
    const [, authorizer] = resourcesOfType('AWS::ApiGateway::Authorizer')[0];
    const functionId = logicalIdOf(stack.api.authorizerFunction.function);

    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(`"${functionId}"`);
  });

  test('environment carries the parameters', () => {
    const environment = resources[logicalIdOf(stack.api.authorizerFunction.function)].Properties.Environment.Variables;

    expect(environment).toEqual({
      ISSUER_URL: { Ref: 'IssuerUrl' },
      AUDIENCE: { Ref: 'Audience' },
      JWKS_URI: { Ref: 'JwksUri' },
      TOKEN_USE: { Ref: 'TokenUse' },
      SIGNING_SECRET_ARN: { Ref: logicalIdOf(stack.signingSecret) },
      LOCAL_ISSUER: LOCAL_TOKEN_DEFAULTS.issuer,
      LOCAL_AUDIENCE: LOCAL_TOKEN_DEFAULTS.audience,
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  test('memory and timeout', () => {
    const properties = resources[logicalIdOf(stack.api.authorizerFunction.function)].Properties;

    expect(properties.MemorySize).toBe(256);
    expect(properties.Timeout).toBe(5);
  });
});

describe('JwtAuthorizerStack parameters', () => {
  test('are declared with their constraints', () => {
    const parameters = template.toJSON().Parameters;

    expect(parameters.IssuerUrl).toMatchObject({ Type: 'String', Default: '', AllowedPattern: '^(https://\\S+)?$' });
    expect(parameters.Audience).toMatchObject({ Type: 'String', Default: '' });
    expect(parameters.JwksUri).toMatchObject({ Type: 'String', Default: '', AllowedPattern: '^(https://\\S+)?$' });
    expect(parameters.TokenUse).toMatchObject({ Type: 'String', Default: 'access', AllowedValues: ['access', 'id'] });
    expect(parameters.AuthorizerCacheTtl).toMatchObject({ Type: 'Number', Default: 300, MinValue: 0, MaxValue: 3600 });
  });

  test('audience is required with an issuer', () => {
    expect(template.toJSON().Rules.AudienceRequiredWithIssuer).toEqual({
      RuleCondition: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'IssuerUrl' }, ''] }] },
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Audience' }, ''] }] },
          AssertDescription: expect.stringMatching(/^Audience is required when IssuerUrl is set/),
        },
      ],
    });
  });

  test('issuer is required with a JWKS URI', () => {
    expect(template.toJSON().Rules.IssuerRequiredWithJwksUri).toEqual({
      RuleCondition: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'JwksUri' }, ''] }] },
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'IssuerUrl' }, ''] }] },
          AssertDescription: expect.stringMatching(/^IssuerUrl is required when JwksUri is set/),
        },
      ],
    });
  });
});

describe('JwtAuthorizerStack functions', () => {
  test('every function is nodejs22.x on arm64 with its own log group', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions).toHaveLength(new Set(ROUTES.map((route) => route.handler)).size + 1);

    for (const [, lambdaFunction] of functions) {
      const properties = lambdaFunction.Properties;
      expect(properties.Runtime).toBe('nodejs22.x');
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');

      const logGroupId = properties.LoggingConfig.LogGroup.Ref;
      expect(resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId].Properties.RetentionInDays).toBe(30);
    }
  });

  test('login has memory for scrypt and the table', () => {
    const properties = resources[logicalIdOf(stack.api.routeFunctions.get('login')!.function)].Properties;

    expect(properties.MemorySize).toBe(1024);
    expect(properties.Timeout).toBe(10);
    expect(properties.Environment.Variables).toEqual({
      SIGNING_SECRET_ARN: { Ref: logicalIdOf(stack.signingSecret) },
      USERS_TABLE: { Ref: logicalIdOf(stack.usersTable) },
      LOCAL_ISSUER: LOCAL_TOKEN_DEFAULTS.issuer,
      LOCAL_AUDIENCE: LOCAL_TOKEN_DEFAULTS.audience,
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  test('function roles have no managed policies', () => {
    const roleIds = resourcesOfType('AWS::Lambda::Function').map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0]);

    for (const roleId of roleIds) {
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('each function may write only its own log group', () => {
    for (const [functionId, lambdaFunction] of resourcesOfType('AWS::Lambda::Function')) {
      const logStatements = roleStatements(functionId).filter((statement) => !nonLoggingStatements(functionId).includes(statement));

      expect(logStatements).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [lambdaFunction.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
        },
      ]);
    }
  });
});

describe('JwtAuthorizerStack permissions', () => {
  test('authorizer may only read the secret value', () => {
    expect(nonLoggingStatements(logicalIdOf(stack.api.authorizerFunction.function))).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: logicalIdOf(stack.signingSecret) } },
    ]);
  });

  test('login reads the secret and updates users', () => {
    expect(nonLoggingStatements(logicalIdOf(stack.api.routeFunctions.get('login')!.function))).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: logicalIdOf(stack.signingSecret) } },
      {
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.usersTable), 'Arn'] },
      },
    ]);
  });

  test('sample handlers have no data access', () => {
    for (const [handler, routeFunction] of stack.api.routeFunctions) {
      if (handler === 'login') continue;
      expect(nonLoggingStatements(logicalIdOf(routeFunction.function))).toEqual([]);
    }
  });
});

describe('JwtAuthorizerStack gateway responses', () => {
  test('match the shared definitions', () => {
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', Object.keys(GATEWAY_RESPONSES).length);

    for (const [kind, definition] of Object.entries(GATEWAY_RESPONSES)) {
      const responseParameters = Object.fromEntries(
        Object.entries(definition.headers).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]),
      );
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: kind,
        StatusCode: String(definition.statusCode),
        ResponseParameters: Match.objectEquals(responseParameters),
        ResponseTemplates: Match.objectEquals({ 'application/json': JSON.stringify(definition.body) }),
      });
    }
  });

  test('unauthorized carries the bearer challenge', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.WWW-Authenticate': `'Bearer error="invalid_token"'` }),
      ResponseTemplates: { 'application/json': '{"message":"Unauthorized"}' },
    });
  });
});

describe('JwtAuthorizerStack stage', () => {
  test('access log leaves out the token', () => {
    const [, stage] = resourcesOfType('AWS::ApiGateway::Stage')[0];
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format) as Record<string, string>;

    expect(stage.Properties.StageName).toBe('prod');
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      principalId: '$context.authorizer.principalId',
      authorizerError: '$context.authorizer.error',
    });
    expect(Object.values(format).filter((field) => /header|Authorization/i.test(field))).toEqual([]);
  });

  test('throttles the stage and login more strictly', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayEquals([
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        },
        {
          HttpMethod: 'POST',
          ResourcePath: '/~1login',
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        },
      ]),
    });
  });

  test('access log group has a retention', () => {
    const accessLogGroupId = logicalIdOf(stack.api.accessLogGroup);

    expect(resources[accessLogGroupId].Properties.RetentionInDays).toBe(30);
  });
});

describe('JwtAuthorizerStack data', () => {
  test('users table', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: USERS_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: USERS_TABLE_PARTITION_KEY, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  test('signing secret is generated', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectEquals({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });
});

describe('JwtAuthorizerStack outputs', () => {
  test('are exactly the four named', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['ApiUrl', 'LoginUrl', 'SigningSecretArn', 'UsersTableName']);
  });

  test('name the endpoints and resources', () => {
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    template.hasOutput('LoginUrl', { Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/login$')])] } });
    template.hasOutput('UsersTableName', { Value: { Ref: logicalIdOf(stack.usersTable) } });
    template.hasOutput('SigningSecretArn', { Value: { Ref: logicalIdOf(stack.signingSecret) } });
  });

  test('stack is environment-agnostic', () => {
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
  });
});
