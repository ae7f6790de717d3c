import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

import { JwtAuthorizerStack } from '../../infra/stack';
import { createTestApp } from './constructs/test-app';

interface AcknowledgedRule {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Lists every rule acknowledged with `Validations.of(...).acknowledge`, with the construct path it was set on. */
function acknowledgedRules(root: IConstruct): AcknowledgedRule[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          id: qualifiedId.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('AwsSolutions checks', () => {
  test('stack has no unacknowledged findings', () => {
    const app = createTestApp();
    new JwtAuthorizerStack(app, 'NagStack');

    const report = new AwsSolutionsChecks(app).validateScope(app);

    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('an unrelated finding still fails', () => {
    const app = createTestApp();
    const stack = new JwtAuthorizerStack(app, 'NagStack');
    new sqs.Queue(stack, 'UncheckedQueue');

    const report = new AwsSolutionsChecks(app).validateScope(app);

    expect(report.success).toBe(false);
    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-SQS3');
  });

  test('acknowledgments are the reviewed set', () => {
    const app = createTestApp();
    new JwtAuthorizerStack(app, 'NagStack');

    const rules = acknowledgedRules(app).map((rule) => `${rule.id} ${rule.path}`).sort();

    expect(rules).toEqual(
      [
        'AwsSolutions-APIG2 NagStack/Api/RestApi/Resource',
        'AwsSolutions-APIG3 NagStack/Api/RestApi/DeploymentStage.prod/Resource',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs] NagStack/Api/RestApi/CloudWatchRole/Resource',
        'AwsSolutions-APIG4 NagStack/Api/RestApi/Default/login/POST/Resource',
        'AwsSolutions-COG4 NagStack/Api/RestApi/Default/login/POST/Resource',
        'AwsSolutions-APIG4 NagStack/Api/RestApi/Default/health/GET/Resource',
        'AwsSolutions-COG4 NagStack/Api/RestApi/Default/health/GET/Resource',
        'AwsSolutions-COG4 NagStack/Api/RestApi/Default/me/GET/Resource',
        'AwsSolutions-COG4 NagStack/Api/RestApi/Default/admin/GET/Resource',
        'AwsSolutions-L1 NagStack/Api/AuthorizerHandler/Function/Resource',
        'AwsSolutions-L1 NagStack/Api/LoginHandler/Function/Resource',
        'AwsSolutions-L1 NagStack/Api/HealthHandler/Function/Resource',
        'AwsSolutions-L1 NagStack/Api/MeHandler/Function/Resource',
        'AwsSolutions-L1 NagStack/Api/AdminHandler/Function/Resource',
        'AwsSolutions-SMG4 NagStack/SigningSecret/Resource',
      ].sort(),
    );
  });

  test('every acknowledgment gives a specific reason', () => {
    const app = createTestApp();
    new JwtAuthorizerStack(app, 'NagStack');

    // A short phrase such as "not needed" explains nothing to a reviewer.
    const vague = acknowledgedRules(app).filter((rule) => rule.reason.split(/\s+/).length < 12);

    expect(vague).toEqual([]);
  });

  test('acknowledgments stay on their resources', () => {
    const app = createTestApp();
    const stack = new JwtAuthorizerStack(app, 'NagStack');

    const stackLevel = acknowledgedRules(app).filter((rule) => rule.path === stack.node.path || rule.path === '');

    expect(stackLevel).toEqual([]);
  });
});
