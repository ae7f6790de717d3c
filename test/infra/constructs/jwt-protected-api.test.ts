import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

import { InvalidPropError, JwtProtectedApi, quoteHeaderValues, type JwtProtectedApiProps } from '../../../infra/constructs/jwt-protected-api';
import { ROUTES } from '../../../lambda/shared/routes';
import { createTestApp } from './test-app';

interface Fixture {
  readonly stack: Stack;
  readonly construct: JwtProtectedApi;
  readonly template: Template;
}

/** Builds the construct in a stack of its own, with a new secret and table unless the props bring theirs. */
function build(props: Partial<JwtProtectedApiProps> = {}, options: { bundle?: boolean; outdir?: string } = {}): Fixture {
  const stack = new Stack(createTestApp(options), 'TeamStack');
  const construct = new JwtProtectedApi(stack, 'Api', {
    signingSecret: props.signingSecret ?? new secretsmanager.Secret(stack, 'Secret'),
    usersTable:
      props.usersTable ??
      new dynamodb.Table(stack, 'Users', { partitionKey: { name: 'email', type: dynamodb.AttributeType.STRING } }),
    ...props,
  });
  return { stack, construct, template: Template.fromStack(stack) };
}

function buildError(props: Partial<JwtProtectedApiProps>): InvalidPropError {
  try {
    build(props);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropError);
    return error as InvalidPropError;
  }
  throw new Error('expected the construct to reject its props');
}

function logicalIdOf(fixture: Fixture, construct: { node: { defaultChild?: unknown } }): string {
  return fixture.stack.getLogicalId(construct.node.defaultChild as never);
}

describe('JwtProtectedApi props validation', () => {
  const invalidCases: { case: string; props: Partial<JwtProtectedApiProps>; prop: string; detail: string }[] = [
    {
      case: 'cache TTL above 3600 s',
      props: { authorizerCacheTtl: Duration.seconds(3601) },
      prop: 'authorizerCacheTtl',
      detail: '3601 seconds is outside 0 to 3600 seconds; 0 turns the result cache off',
    },
    {
      case: 'cache TTL of two hours',
      props: { authorizerCacheTtl: Duration.hours(2) },
      prop: 'authorizerCacheTtl',
      detail: '7200 seconds is outside 0 to 3600 seconds; 0 turns the result cache off',
    },
    {
      case: 'cache TTL in fractional seconds',
      props: { authorizerCacheTtl: Duration.millis(1500) },
      prop: 'authorizerCacheTtl',
      detail: '1500 ms is not a whole number of seconds; set 0 to 3600 seconds',
    },
    {
      case: 'authorizer memory below 128 MB',
      props: { authorizerMemorySize: 64 },
      prop: 'authorizerMemorySize',
      detail: '64 MB; set a whole number from 128 to 10240 MB',
    },
    {
      case: 'login memory above 10240 MB',
      props: { loginMemorySize: 10241 },
      prop: 'loginMemorySize',
      detail: '10241 MB; set a whole number from 128 to 10240 MB',
    },
    {
      case: 'fractional handler memory',
      props: { handlerMemorySize: 256.5 },
      prop: 'handlerMemorySize',
      detail: '256.5 MB; set a whole number from 128 to 10240 MB',
    },
    {
      case: 'login timeout above 29 s',
      props: { loginTimeout: Duration.seconds(30) },
      prop: 'loginTimeout',
      detail: '30 seconds; set a whole number from 1 to 29 seconds, because API Gateway stops waiting after 29 seconds',
    },
    {
      case: 'timeout below 1 s',
      props: { authorizerTimeout: Duration.millis(500) },
      prop: 'authorizerTimeout',
      detail: '0.5 seconds; set a whole number from 1 to 29 seconds, because API Gateway stops waiting after 29 seconds',
    },
    {
      case: 'login rate above stage rate',
      props: { loginThrottling: { rateLimit: 60 } },
      prop: 'loginThrottling.rateLimit',
      detail: '60 requests per second exceeds throttling.rateLimit (50 requests per second)',
    },
    {
      case: 'login burst above stage burst',
      props: { throttling: { rateLimit: 10, burstLimit: 20 }, loginThrottling: { rateLimit: 5, burstLimit: 21 } },
      prop: 'loginThrottling.burstLimit',
      detail: '21 requests exceeds throttling.burstLimit (20 requests)',
    },
    {
      case: 'fractional burst limit',
      props: { throttling: { burstLimit: 1.5 } },
      prop: 'throttling.burstLimit',
      detail: '1.5 requests; set a whole number of 0 or more',
    },
    {
      case: 'negative rate limit',
      props: { throttling: { rateLimit: -1 } },
      prop: 'throttling.rateLimit',
      detail: '-1 requests per second; set a number of 0 or more',
    },
    {
      case: 'stage name with a space',
      props: { stageName: 'my stage' },
      prop: 'stageName',
      detail: '"my stage"; use 1 to 128 letters, digits, hyphens or underscores',
    },
    {
      case: 'unknown token use',
      props: { tokenUse: 'refresh' },
      prop: 'tokenUse',
      detail: '"refresh"; set "access" or "id"',
    },
    {
      case: 'http issuer',
      props: { issuerUrl: 'http://issuer.example', audience: 'client' },
      prop: 'issuerUrl',
      detail: `"http://issuer.example" is not an https:// URL; set the issuer's https URL or '' for local tokens only`,
    },
    {
      case: 'blank audience with issuer',
      props: { issuerUrl: 'https://issuer.example', audience: ' ' },
      prop: 'audience',
      detail: 'it is empty but issuerUrl is set; set the accepted audience (for Cognito, the app client id)',
    },
    {
      case: 'http JWKS URI',
      props: { issuerUrl: 'https://issuer.example', audience: 'client', jwksUri: 'http://issuer.example/jwks' },
      prop: 'jwksUri',
      detail: `"http://issuer.example/jwks" is not an https:// URL; set the issuer's JWKS URL or '' to discover it`,
    },
    {
      case: 'JWKS URI without issuer',
      props: { jwksUri: 'https://issuer.example/jwks' },
      prop: 'jwksUri',
      detail: 'it is set but issuerUrl is empty; set issuerUrl as well, or clear jwksUri',
    },
  ];

  test.each(invalidCases)('rejects $case', ({ props, prop, detail }) => {
    const error = buildError(props);

    expect(error.prop).toBe(prop);
    expect(error.message).toBe(`JwtProtectedApi: invalid ${prop}: ${detail}`);
  });

  test.each([0, 3600])('accepts a cache TTL of %i seconds', (seconds) => {
    const fixture = build({ authorizerCacheTtl: Duration.seconds(seconds) });

    fixture.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: seconds });
  });

  test('accepts the limits of memory and timeout', () => {
    const fixture = build({
      authorizerMemorySize: 128,
      loginMemorySize: 10240,
      authorizerTimeout: Duration.seconds(1),
      loginTimeout: Duration.seconds(29),
    });

    const authorizer = fixture.template.toJSON().Resources[logicalIdOf(fixture, fixture.construct.authorizerFunction.function)];
    expect(authorizer.Properties).toMatchObject({ MemorySize: 128, Timeout: 1 });
  });

  test('accepts login limits equal to the stage limits', () => {
    const fixture = build({ throttling: { rateLimit: 5, burstLimit: 10 }, loginThrottling: { rateLimit: 5, burstLimit: 10 } });

    fixture.template.resourceCountIs('AWS::ApiGateway::Stage', 1);
  });
});

describe('JwtProtectedApi defaults', () => {
  let fixture: Fixture;

  beforeAll(() => {
    fixture = build();
  });

  test('caches authorizer results for five minutes', () => {
    fixture.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 300 });
  });

  test('accepts only local tokens', () => {
    const environment = fixture.template.toJSON().Resources[logicalIdOf(fixture, fixture.construct.authorizerFunction.function)]
      .Properties.Environment.Variables;

    expect(environment).toMatchObject({ ISSUER_URL: '', AUDIENCE: '', JWKS_URI: '', TOKEN_USE: 'access' });
  });

  test('manages the account CloudWatch role', () => {
    fixture.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    fixture.template.hasResource('AWS::IAM::Role', {
      Properties: {
        ManagedPolicyArns: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] },
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('keeps log groups for a month', () => {
    const logGroups = Object.values(fixture.template.findResources('AWS::Logs::LogGroup'));

    expect(logGroups).toHaveLength(new Set(ROUTES.map((route) => route.handler)).size + 2);
    for (const logGroup of logGroups) {
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.DeletionPolicy).toBe('Retain');
    }
  });

  test('uses a regional endpoint', () => {
    fixture.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });
});

describe('JwtProtectedApi props', () => {
  test('external issuer reaches the authorizer', () => {
    const fixture = build({
      issuerUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
      audience: 'client-a,client-b',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
      tokenUse: 'id',
    });
    const environment = fixture.template.toJSON().Resources[logicalIdOf(fixture, fixture.construct.authorizerFunction.function)]
      .Properties.Environment.Variables;

    expect(environment).toMatchObject({
      ISSUER_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
      AUDIENCE: 'client-a,client-b',
      JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
      TOKEN_USE: 'id',
    });
  });

  test('cloudWatchRole false leaves the account alone', () => {
    const fixture = build({ cloudWatchRole: false });

    fixture.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('stage name, throttling and retention', () => {
    const fixture = build({
      stageName: 'v1',
      throttling: { rateLimit: 20, burstLimit: 40 },
      loginThrottling: { rateLimit: 2, burstLimit: 4 },
      logRetention: logs.RetentionDays.ONE_WEEK,
    });

    fixture.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ResourcePath: '/*', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
        Match.objectLike({ ResourcePath: '/~1login', HttpMethod: 'POST', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 4 }),
      ]),
    });
    for (const logGroup of Object.values(fixture.template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.Properties.RetentionInDays).toBe(7);
    }
  });

  test('customer managed keys are granted', () => {
    const stack = new Stack(createTestApp(), 'KeyStack');
    const key = new kms.Key(stack, 'Key');
    const signingSecret = new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
    const usersTable = new dynamodb.Table(stack, 'Users', {
      partitionKey: { name: 'email', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    const construct = new JwtProtectedApi(stack, 'Api', { signingSecret, usersTable });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] };

    const policyOf = (roleConstruct: { node: { defaultChild?: unknown } }) => {
      const roleId = stack.getLogicalId(roleConstruct.node.defaultChild as never);
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
      );
      return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    };

    expect(policyOf(construct.authorizerFunction.role)).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn });
    expect(policyOf(construct.routeFunctions.get('login')!.role)).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']), Resource: keyArn }),
    );
    expect(policyOf(construct.routeFunctions.get('me')!.role).some((statement) => JSON.stringify(statement).includes('kms:'))).toBe(false);
  });
});

describe('JwtProtectedApi methodFor', () => {
  test('finds each route and nothing else', () => {
    const { construct } = build();

    for (const route of ROUTES) {
      expect(construct.methodFor(route)?.httpMethod).toBe(route.method);
    }
    expect(construct.methodFor({ method: 'DELETE', path: '/me' })).toBeUndefined();
  });
});

describe('quoteHeaderValues', () => {
  test('wraps values in single quotes', () => {
    expect(quoteHeaderValues({ 'WWW-Authenticate': 'Bearer error="invalid_token"', 'Retry-After': '1' })).toEqual({
      'WWW-Authenticate': `'Bearer error="invalid_token"'`,
      'Retry-After': "'1'",
    });
  });

  test('rejects a single quote inside a value', () => {
    expect(() => quoteHeaderValues({ 'X-Note': "it's" })).toThrow(
      "JwtProtectedApi: gateway response header X-Note contains a single quote, which API Gateway cannot express; remove it",
    );
  });
});

describe('JwtProtectedApi bundling', () => {
  let outdir: string;
  let fixture: Fixture;

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'jwt-protected-api-'));
    fixture = build({}, { bundle: true, outdir });
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  function bundleOf(handlerFunction: { function: { node: { defaultChild?: unknown } } }): { code: string; sourceMap: string } {
    const properties = fixture.template.toJSON().Resources[logicalIdOf(fixture, handlerFunction.function)].Properties;
    const assetHash = (properties.Code.S3Key as string).replace(/\.zip$/, '');
    const assetDirectory = path.join(outdir, `asset.${assetHash}`);
    expect(existsSync(path.join(assetDirectory, 'index.js'))).toBe(true);
    return {
      code: readFileSync(path.join(assetDirectory, 'index.js'), 'utf8'),
      sourceMap: readFileSync(path.join(assetDirectory, 'index.js.map'), 'utf8'),
    };
  }

  test('bundles each handler with a source map', () => {
    for (const handlerFunction of [fixture.construct.authorizerFunction, ...fixture.construct.routeFunctions.values()]) {
      const { code, sourceMap } = bundleOf(handlerFunction);
      const map = JSON.parse(sourceMap) as { sources: string[]; sourcesContent?: unknown };

      expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
      expect(map.sources.some((source) => source.endsWith('.ts'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    }
  });

  test('keeps the AWS SDK external', () => {
    const { code, sourceMap } = bundleOf(fixture.construct.routeFunctions.get('login')!);
    const { sources } = JSON.parse(sourceMap) as { sources: string[] };

    expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    // The source map lists every bundled file, so a bundled SDK would show up here.
    expect(sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
  });

  test('minifies the code', () => {
    const { code } = bundleOf(fixture.construct.routeFunctions.get('login')!);

    // Unminified, the login handler and its dependencies span thousands of lines; minified, the code is one
    // line followed by the license comments that esbuild keeps.
    expect(code.length).toBeGreaterThan(10_000);
    expect(code.split('\n').length).toBeLessThan(50);
  });
});
