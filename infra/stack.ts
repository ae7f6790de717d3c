import {
  CfnOutput,
  CfnParameter,
  CfnRule,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

import { USERS_TABLE_PARTITION_KEY } from '../lambda/shared/users-table';
import { JwtProtectedApi } from './constructs/jwt-protected-api';

/** Deploy-time settings of the authorizer. Each reaches it as the environment variable of the same name in UPPER_SNAKE form. */
interface IssuerParameters {
  readonly issuerUrl: CfnParameter;
  readonly audience: CfnParameter;
  readonly jwksUri: CfnParameter;
  readonly tokenUse: CfnParameter;
  readonly authorizerCacheTtl: CfnParameter;
}

/**
 * The deployable stack: issuer parameters, the HS256 signing secret, the users table and the JWT-protected
 * API. It synthesizes without an account or region, so one template deploys anywhere.
 */
export class JwtAuthorizerStack extends Stack {
  public readonly api: JwtProtectedApi;
  public readonly signingSecret: secretsmanager.Secret;
  public readonly usersTable: dynamodb.Table;

  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const parameters = this.createParameters();
    this.addParameterRules(parameters);

    this.signingSecret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'HS256 key of the tokens minted by the login route; AWSCURRENT signs, AWSPREVIOUS still verifies',
      // 64 characters from 62 letters and digits carry about 381 bits, well above the 256 bits HS256 needs.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.signingSecret.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No rotation Lambda is deployed. Rotating means writing a new random version with put-secret-value: ' +
        'the new AWSCURRENT signs, and tokens signed with the one now staged AWSPREVIOUS keep verifying until they expire.',
    });

    this.usersTable = new dynamodb.Table(this, 'UsersTable', {
      partitionKey: { name: USERS_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Password hashes survive a stack deletion, so delete the table by hand once it is no longer wanted.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new JwtProtectedApi(this, 'Api', {
      signingSecret: this.signingSecret,
      usersTable: this.usersTable,
      issuerUrl: parameters.issuerUrl.valueAsString,
      audience: parameters.audience.valueAsString,
      jwksUri: parameters.jwksUri.valueAsString,
      tokenUse: parameters.tokenUse.valueAsString,
      // Duration.seconds() keeps a token as it is, so the authorizer's TTL becomes a Ref to the parameter.
      authorizerCacheTtl: Duration.seconds(parameters.authorizerCacheTtl.valueAsNumber),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API stage', value: this.api.url });
    new CfnOutput(this, 'LoginUrl', { description: 'POST an email and password here for a local token', value: this.api.loginUrl });
    new CfnOutput(this, 'UsersTableName', { description: 'DynamoDB table of login users', value: this.usersTable.tableName });
    new CfnOutput(this, 'SigningSecretArn', { description: 'Secrets Manager secret with the HS256 key', value: this.signingSecret.secretArn });
  }

  private createParameters(): IssuerParameters {
    return {
      issuerUrl: new CfnParameter(this, 'IssuerUrl', {
        type: 'String',
        default: '',
        allowedPattern: '^(https://\\S+)?$',
        constraintDescription: 'must be empty or an https:// URL without spaces',
        description:
          'Issuer (iss) of external tokens, e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id>. Empty: only local tokens are accepted.',
      }),
      audience: new CfnParameter(this, 'Audience', {
        type: 'String',
        default: '',
        description: 'Comma-separated accepted aud values of external tokens. For Cognito, the app client id(s). Required when IssuerUrl is set.',
      }),
      jwksUri: new CfnParameter(this, 'JwksUri', {
        type: 'String',
        default: '',
        allowedPattern: '^(https://\\S+)?$',
        constraintDescription: 'must be empty or an https:// URL without spaces',
        description: "JWKS URL of the issuer. Empty: read from the issuer's /.well-known/openid-configuration.",
      }),
      tokenUse: new CfnParameter(this, 'TokenUse', {
        type: 'String',
        default: 'access',
        allowedValues: ['access', 'id'],
        description: 'Cognito token type the authorizer accepts (token_use claim).',
      }),
      authorizerCacheTtl: new CfnParameter(this, 'AuthorizerCacheTtl', {
        type: 'Number',
        default: 300,
        minValue: 0,
        maxValue: 3600,
        description: 'Seconds API Gateway caches the authorizer policy per token, from 0 to 3600. 0 turns the cache off.',
      }),
    };
  }

  /** Rules that make CloudFormation reject a half-configured issuer before it creates anything. */
  private addParameterRules(parameters: IssuerParameters): void {
    const issuerSet = Fn.conditionNot(Fn.conditionEquals(parameters.issuerUrl.valueAsString, ''));
    const audienceSet = Fn.conditionNot(Fn.conditionEquals(parameters.audience.valueAsString, ''));
    const jwksUriSet = Fn.conditionNot(Fn.conditionEquals(parameters.jwksUri.valueAsString, ''));

    new CfnRule(this, 'AudienceRequiredWithIssuer', {
      ruleCondition: issuerSet,
      assertions: [
        {
          assert: audienceSet,
          assertDescription: 'Audience is required when IssuerUrl is set: pass the accepted aud value(s), for Cognito the app client id.',
        },
      ],
    });
    new CfnRule(this, 'IssuerRequiredWithJwksUri', {
      ruleCondition: jwksUriSet,
      assertions: [
        {
          assert: issuerSet,
          assertDescription: 'IssuerUrl is required when JwksUri is set: keys are trusted only for the issuer they belong to.',
        },
      ],
    });
  }
}
