/**
 * Checks a TOKEN authorizer's result and evaluates its policy against a method ARN, the way API Gateway does
 * before it calls the integration.
 */

/** One policy statement after validation. Action and Resource are always lists here. */
export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** A validated authorizer result, as the gateway caches it. */
export interface AuthorizerGrant {
  readonly principalId: string;
  readonly statements: readonly PolicyStatement[];
  /** Context values converted to strings, as API Gateway passes them to the integration. */
  readonly context: Readonly<Record<string, string>>;
}

/** An authorizer result that API Gateway cannot use. The client gets the configuration-error response. */
export class InvalidAuthorizerResultError extends Error {
  public override readonly name = 'InvalidAuthorizerResultError';
}

const INVOKE_ACTION = 'execute-api:Invoke';

/**
 * Validates the authorizer result. It needs a non-empty string `principalId` and a `policyDocument` whose
 * `Statement` is one statement or a list of them. Each statement has `Effect` Allow or Deny, and `Action` and
 * `Resource` as a string or a list of strings. The optional `context` is a flat object of strings, numbers
 * and booleans.
 *
 * NOTE: API Gateway documents string, number and boolean context values only. Rejecting null here too is an
 * assumption about the service.
 */
export function parseAuthorizerResult(result: unknown): AuthorizerGrant {
  if (!isRecord(result)) throw new InvalidAuthorizerResultError('the authorizer result is not an object');

  const { principalId, policyDocument, context } = result;
  if (typeof principalId !== 'string' || principalId === '') {
    throw new InvalidAuthorizerResultError('principalId is missing or not a non-empty string');
  }
  if (!isRecord(policyDocument)) throw new InvalidAuthorizerResultError('policyDocument is missing or not an object');

  const rawStatements = Array.isArray(policyDocument.Statement) ? policyDocument.Statement : [policyDocument.Statement];
  if (rawStatements.length === 0) throw new InvalidAuthorizerResultError('policyDocument.Statement is empty');
  const statements = rawStatements.map((statement, index) => parseStatement(statement, index));

  return { principalId, statements, context: parseContext(context) };
}

function parseStatement(statement: unknown, index: number): PolicyStatement {
  const label = `policyDocument.Statement[${index}]`;
  if (!isRecord(statement)) throw new InvalidAuthorizerResultError(`${label} is not an object`);
  const effect = statement.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new InvalidAuthorizerResultError(`${label}.Effect must be Allow or Deny`);
  }
  return {
    effect,
    actions: stringList(statement.Action, `${label}.Action`),
    resources: stringList(statement.Resource, `${label}.Resource`),
  };
}

function stringList(value: unknown, label: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
    throw new InvalidAuthorizerResultError(`${label} must be a non-empty string or a list of them`);
  }
  return list as string[];
}

function parseContext(context: unknown): Record<string, string> {
  if (context === undefined || context === null) return {};
  if (!isRecord(context)) throw new InvalidAuthorizerResultError('context is not an object');

  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      const kind = describeKind(value);
      throw new InvalidAuthorizerResultError(`context.${key} is ${kind}; only strings, numbers and booleans are allowed`);
    }
    values[key] = String(value);
  }
  return values;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Evaluates the policy for `execute-api:Invoke` on `methodArn` with IAM's rules: an explicit Deny wins, then
 * any Allow, and otherwise the request is denied. In `Action` and `Resource`, `*` matches any run of
 * characters (including `/` and `:`) and `?` matches one character. Actions compare case-insensitively,
 * resources case-sensitively.
 */
export function policyAllows(statements: readonly PolicyStatement[], methodArn: string): boolean {
  const applies = (statement: PolicyStatement) =>
    statement.actions.some((pattern) => wildcardMatch(pattern.toLowerCase(), INVOKE_ACTION.toLowerCase())) &&
    statement.resources.some((pattern) => wildcardMatch(pattern, methodArn));

  const matching = statements.filter(applies);
  if (matching.some((statement) => statement.effect === 'Deny')) return false;
  return matching.some((statement) => statement.effect === 'Allow');
}

/** Matches `text` against a pattern where `*` is any run of characters and `?` exactly one character. */
export function wildcardMatch(pattern: string, text: string): boolean {
  // Iterative matching with one backtrack point: linear in practice, with no regular expression built from input.
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      starAt = p;
      resumeAt = t;
      p += 1;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (starAt !== -1) {
      p = starAt + 1;
      resumeAt += 1;
      t = resumeAt;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}
