import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/** Matches an IAM resource pattern where `*` spans any characters and `?` one character. */
function resourceMatches(pattern: string, arn: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`).test(arn);
}

/**
 * Evaluates an authorizer policy for one method ARN the way IAM does: an explicit Deny wins, then an Allow
 * must match, and anything else is an implicit deny.
 */
export function policyAllows(policy: APIGatewayAuthorizerResult['policyDocument'], methodArn: string): boolean {
  let allowed = false;
  for (const statement of policy.Statement) {
    const resources = 'Resource' in statement ? statement.Resource : [];
    const list = Array.isArray(resources) ? resources : [resources];
    if (!list.some((resource) => resourceMatches(String(resource), methodArn))) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}
