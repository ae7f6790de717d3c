import * as path from 'node:path';

import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

export interface JwtProtectedApiProps {
  /**
   * Secret whose `SecretString` is the HS256 key of local tokens. The login Lambda signs with the version
   * staged `AWSCURRENT`, and the authorizer verifies with it and with `AWSPREVIOUS`.
   */
  readonly signingSecret: secretsmanager.ISecret;

  /** Users table of the login Lambda, with the partition key `email` (string). */
  readonly usersTable: dynamodb.ITable;

  /**
   * Issuer (`iss`) of external tokens, an `https://` URL, for example
   * `https://cognito-idp.<region>.amazonaws.com/<user pool id>`. Empty means the authorizer accepts only
   * local tokens. CloudFormation tokens are accepted and checked at deploy time instead.
   *
   * @default '' (only local tokens)
   */
  readonly issuerUrl?: string;

  /**
   * Comma-separated `aud` values the authorizer accepts on external tokens. For Cognito these are app client
   * ids. Required when `issuerUrl` is set.
   *
   * @default ''
   */
  readonly audience?: string;

  /**
   * JWKS URL of the external issuer, an `https://` URL.
   *
   * @default '' (the authorizer reads `jwks_uri` from the issuer's OpenID discovery document)
   */
  readonly jwksUri?: string;

  /**
   * Token type accepted from Cognito, `access` or `id`, compared with the `token_use` claim.
   *
   * @default 'access'
   */
  readonly tokenUse?: string;

  /**
   * Time API Gateway caches the authorizer's policy for one token, from 0 to 3600 seconds, where 0 turns the
   * cache off. A value from a CloudFormation parameter must be made with `Duration.seconds()`.
   *
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;

  /**
   * Name of the API Gateway stage, which is also the first path segment of the URL.
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Steady-state rate (requests per second) and burst limit of the whole stage.
   *
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttling?: apigateway.ThrottleSettings;

  /**
   * Rate and burst limit of the login route, at most the stage's limits. Each login costs a memory-hard
   * password hash, so this limit is what keeps password guessing slow and the login Lambda's bill bounded.
   *
   * @default { rateLimit: 5, burstLimit: 10 }
   */
  readonly loginThrottling?: apigateway.ThrottleSettings;

  /**
   * Memory of the authorizer Lambda in MB.
   *
   * @default 256
   */
  readonly authorizerMemorySize?: number;

  /**
   * Timeout of the authorizer Lambda. Its key fetches give up well before the default.
   *
   * @default Duration.seconds(5)
   */
  readonly authorizerTimeout?: Duration;

  /**
   * Memory of the login Lambda in MB. Its scrypt hash (N = 2^17, r = 8) needs 128 MiB of working memory,
   * and Lambda gives a function CPU in proportion to its memory.
   *
   * @default 1024
   */
  readonly loginMemorySize?: number;

  /**
   * Timeout of the login Lambda.
   *
   * @default Duration.seconds(10)
   */
  readonly loginTimeout?: Duration;

  /**
   * Memory of every other route handler in MB.
   *
   * @default 256
   */
  readonly handlerMemorySize?: number;

  /**
   * Timeout of every other route handler.
   *
   * @default Duration.seconds(5)
   */
  readonly handlerTimeout?: Duration;

  /**
   * Retention of the access log and of every Lambda's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Removal policy of the log groups.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;

  /**
   * Whether the stack sets the account's API Gateway CloudWatch role, which access and execution logging
   * need once per account and region. Set `false` when the account already has one.
   *
   * @default true
   */
  readonly cloudWatchRole?: boolean;

  /**
   * Folder that contains `authorizer/handler.ts` and one `<handler>/handler.ts` per handler of the route table.
   *
   * @default the `lambda` folder of this repository
   */
  readonly lambdaDirectory?: string;
}

/** The props with every default filled in. */
export type ResolvedJwtProtectedApiProps = Required<JwtProtectedApiProps> & {
  readonly throttling: Required<apigateway.ThrottleSettings>;
  readonly loginThrottling: Required<apigateway.ThrottleSettings>;
};

/** A prop of `JwtProtectedApi` that API Gateway, Lambda or the authorizer would reject. */
export class InvalidPropError extends Error {
  public override readonly name = 'InvalidPropError';

  public constructor(
    public readonly prop: string,
    detail: string,
  ) {
    super(`JwtProtectedApi: invalid ${prop}: ${detail}`);
  }
}

/** API Gateway's maximum authorizer result TTL. */
const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;
/** API Gateway stops waiting for a Lambda integration after 29 s by default. */
const MAX_INTEGRATION_TIMEOUT_SECONDS = 29;
const LAMBDA_MEMORY_MB = { min: 128, max: 10240 };
const STAGE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const TOKEN_USES = ['access', 'id'];

/**
 * Fills in the defaults and checks every prop whose value is known at synth time. Values that are
 * CloudFormation tokens pass unchecked, so the stack guards them with parameter constraints and rules.
 */
export function resolveJwtProtectedApiProps(props: JwtProtectedApiProps): ResolvedJwtProtectedApiProps {
  const resolved: ResolvedJwtProtectedApiProps = {
    signingSecret: props.signingSecret,
    usersTable: props.usersTable,
    issuerUrl: props.issuerUrl ?? '',
    audience: props.audience ?? '',
    jwksUri: props.jwksUri ?? '',
    tokenUse: props.tokenUse ?? 'access',
    authorizerCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    stageName: props.stageName ?? 'prod',
    throttling: {
      rateLimit: props.throttling?.rateLimit ?? 50,
      burstLimit: props.throttling?.burstLimit ?? 100,
    },
    loginThrottling: {
      rateLimit: props.loginThrottling?.rateLimit ?? 5,
      burstLimit: props.loginThrottling?.burstLimit ?? 10,
    },
    authorizerMemorySize: props.authorizerMemorySize ?? 256,
    authorizerTimeout: props.authorizerTimeout ?? Duration.seconds(5),
    loginMemorySize: props.loginMemorySize ?? 1024,
    loginTimeout: props.loginTimeout ?? Duration.seconds(10),
    handlerMemorySize: props.handlerMemorySize ?? 256,
    handlerTimeout: props.handlerTimeout ?? Duration.seconds(5),
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    cloudWatchRole: props.cloudWatchRole ?? true,
    lambdaDirectory: props.lambdaDirectory ?? path.resolve(__dirname, '..', '..', 'lambda'),
  };

  validateIssuer(resolved);
  validateCacheTtl(resolved.authorizerCacheTtl);
  validateStage(resolved);
  validateMemorySize('authorizerMemorySize', resolved.authorizerMemorySize);
  validateMemorySize('loginMemorySize', resolved.loginMemorySize);
  validateMemorySize('handlerMemorySize', resolved.handlerMemorySize);
  validateTimeout('authorizerTimeout', resolved.authorizerTimeout);
  validateTimeout('loginTimeout', resolved.loginTimeout);
  validateTimeout('handlerTimeout', resolved.handlerTimeout);
  return resolved;
}

function isKnown(value: string | number): boolean {
  return !Token.isUnresolved(value);
}

function validateIssuer(props: ResolvedJwtProtectedApiProps): void {
  const { issuerUrl, audience, jwksUri, tokenUse } = props;

  if (isKnown(issuerUrl) && issuerUrl !== '' && !issuerUrl.startsWith('https://')) {
    throw new InvalidPropError('issuerUrl', `"${issuerUrl}" is not an https:// URL; set the issuer's https URL or '' for local tokens only`);
  }
  if (isKnown(jwksUri) && jwksUri !== '' && !jwksUri.startsWith('https://')) {
    throw new InvalidPropError('jwksUri', `"${jwksUri}" is not an https:// URL; set the issuer's JWKS URL or '' to discover it`);
  }
  if (isKnown(issuerUrl) && issuerUrl === '' && isKnown(jwksUri) && jwksUri !== '') {
    throw new InvalidPropError('jwksUri', 'it is set but issuerUrl is empty; set issuerUrl as well, or clear jwksUri');
  }
  if (isKnown(issuerUrl) && issuerUrl !== '' && isKnown(audience) && audience.trim() === '') {
    throw new InvalidPropError('audience', 'it is empty but issuerUrl is set; set the accepted audience (for Cognito, the app client id)');
  }
  if (isKnown(tokenUse) && !TOKEN_USES.includes(tokenUse)) {
    throw new InvalidPropError('tokenUse', `"${tokenUse}"; set "access" or "id"`);
  }
}

function validateCacheTtl(ttl: Duration): void {
  if (ttl.isUnresolved()) return;

  const milliseconds = ttl.toMilliseconds();
  if (milliseconds % 1000 !== 0) {
    throw new InvalidPropError('authorizerCacheTtl', `${milliseconds} ms is not a whole number of seconds; set 0 to ${MAX_AUTHORIZER_CACHE_TTL_SECONDS} seconds`);
  }
  const seconds = milliseconds / 1000;
  if (seconds < 0 || seconds > MAX_AUTHORIZER_CACHE_TTL_SECONDS) {
    throw new InvalidPropError(
      'authorizerCacheTtl',
      `${seconds} seconds is outside 0 to ${MAX_AUTHORIZER_CACHE_TTL_SECONDS} seconds; 0 turns the result cache off`,
    );
  }
}

function validateStage(props: ResolvedJwtProtectedApiProps): void {
  const { stageName, throttling, loginThrottling } = props;

  if (isKnown(stageName) && !STAGE_NAME_PATTERN.test(stageName)) {
    throw new InvalidPropError('stageName', `"${stageName}"; use 1 to 128 letters, digits, hyphens or underscores`);
  }
  validateThrottling('throttling', throttling);
  validateThrottling('loginThrottling', loginThrottling);

  // The login limit exists to be stricter than the stage's, so a looser one is a mistake.
  if (isKnown(loginThrottling.rateLimit) && isKnown(throttling.rateLimit) && loginThrottling.rateLimit > throttling.rateLimit) {
    throw new InvalidPropError(
      'loginThrottling.rateLimit',
      `${loginThrottling.rateLimit} requests per second exceeds throttling.rateLimit (${throttling.rateLimit} requests per second)`,
    );
  }
  if (isKnown(loginThrottling.burstLimit) && isKnown(throttling.burstLimit) && loginThrottling.burstLimit > throttling.burstLimit) {
    throw new InvalidPropError(
      'loginThrottling.burstLimit',
      `${loginThrottling.burstLimit} requests exceeds throttling.burstLimit (${throttling.burstLimit} requests)`,
    );
  }
}

function validateThrottling(prop: string, limits: Required<apigateway.ThrottleSettings>): void {
  if (isKnown(limits.rateLimit) && !(Number.isFinite(limits.rateLimit) && limits.rateLimit >= 0)) {
    throw new InvalidPropError(`${prop}.rateLimit`, `${limits.rateLimit} requests per second; set a number of 0 or more`);
  }
  if (isKnown(limits.burstLimit) && !(Number.isInteger(limits.burstLimit) && limits.burstLimit >= 0)) {
    throw new InvalidPropError(`${prop}.burstLimit`, `${limits.burstLimit} requests; set a whole number of 0 or more`);
  }
}

function validateMemorySize(prop: string, megabytes: number): void {
  if (!isKnown(megabytes)) return;
  if (!Number.isInteger(megabytes) || megabytes < LAMBDA_MEMORY_MB.min || megabytes > LAMBDA_MEMORY_MB.max) {
    throw new InvalidPropError(prop, `${megabytes} MB; set a whole number from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max} MB`);
  }
}

function validateTimeout(prop: string, timeout: Duration): void {
  if (timeout.isUnresolved()) return;

  const milliseconds = timeout.toMilliseconds();
  if (milliseconds % 1000 !== 0 || milliseconds < 1000 || milliseconds > MAX_INTEGRATION_TIMEOUT_SECONDS * 1000) {
    throw new InvalidPropError(
      prop,
      `${milliseconds / 1000} seconds; set a whole number from 1 to ${MAX_INTEGRATION_TIMEOUT_SECONDS} seconds, because API Gateway stops waiting after ${MAX_INTEGRATION_TIMEOUT_SECONDS} seconds`,
    );
  }
}
