import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

import { ROUTES } from '../../lambda/shared/routes';
import type { JwtProtectedApi } from './jwt-protected-api';

/**
 * Acknowledges the AwsSolutions (cdk-nag) findings that this construct accepts by design, each on the one
 * CloudFormation resource it concerns and with the reason. Any other finding still fails the check.
 */
export function acknowledgeNagFindings(construct: JwtProtectedApi): void {
  const { api } = construct;

  acknowledge(api.node.defaultChild, 'AwsSolutions-APIG2', [
    'Each handler validates its own input: the login handler checks the size, JSON shape, email and password of its body',
    'and answers 400 with the problem, the same answer the local gateway gives. The GET routes read no body or parameters.',
  ]);
  acknowledge(api.deploymentStage.node.defaultChild, 'AwsSolutions-APIG3', [
    'A WAF web ACL is an account-level choice billed per ACL and per request. Stage throttling and the stricter',
    'login throttling bound the request rate; associate an existing web ACL with the stage ARN where one is required.',
  ]);

  // Exists only when the construct manages the account's API Gateway CloudWatch role.
  const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole) {
    acknowledge(cloudWatchRole.node.defaultChild, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', [
      'This role is the account-wide API Gateway logging role, shared by every API in the account and region.',
      'The AWS managed policy is the documented policy for it, and it cannot be scoped to the log groups of one stack.',
    ]);
  }

  for (const route of ROUTES) {
    const method = construct.methodFor(route)?.node.defaultChild;
    const name = `${route.method} ${route.path}`;
    if (route.access === 'public') {
      acknowledge(method, 'AwsSolutions-APIG4', [
        `${name} is marked public in the route table because callers without a token must reach it,`,
        'for example to log in and get a token, or to check the health of the API.',
      ]);
      acknowledge(method, 'AwsSolutions-COG4', [
        `${name} is marked public in the route table, so it has no authorizer of any kind, Cognito or other.`,
      ]);
    } else {
      acknowledge(method, 'AwsSolutions-COG4', [
        `${name} uses the Lambda TOKEN authorizer, which accepts Cognito tokens as well as other OIDC issuers`,
        'and local HS256 tokens, and applies per-route scope and group rules; a Cognito user pool authorizer does only the first.',
      ]);
    }
  }

  for (const handlerFunction of [construct.authorizerFunction, ...construct.routeFunctions.values()]) {
    acknowledge(handlerFunction.function.node.defaultChild, 'AwsSolutions-L1', [
      'The functions are pinned to nodejs22.x, the runtime the handlers are bundled for (esbuild target node22).',
      'Move the runtime and the bundling target together once the handlers are tested on a newer runtime.',
    ]);
  }
}

function acknowledge(scope: IConstruct | undefined, id: string, reason: readonly string[]): void {
  if (!scope) {
    throw new Error(`JwtProtectedApi: no construct to acknowledge ${id} on`);
  }
  Validations.of(scope).acknowledge({ id, reason: reason.join(' ') });
}
