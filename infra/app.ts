import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { JwtAuthorizerStack } from './stack';

const app = new App();

new JwtAuthorizerStack(app, 'JwtAuthorizerStack', {
  description: 'API Gateway REST API protected by a Lambda TOKEN authorizer for Cognito, OIDC and local HS256 tokens',
});

// An unacknowledged AwsSolutions finding fails the synth, so `npm run synth` is also the compliance check.
// Each acknowledgment's reason is written to the template's resource metadata for auditors.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
