import fc from 'fast-check';

import {
  InvalidAuthorizerResultError,
  parseAuthorizerResult,
  type PolicyStatement,
  policyAllows,
  wildcardMatch,
} from '../../../infra/local/authorizer-result';

describe('wildcardMatch', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything/at:all', true],
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbd', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['*/GET/*', 'api/stage/GET/me', true],
    ['*/GET/*', 'api/stage/POST/me', false],
    ['**a', 'bba', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['abc*', 'abc', true],
  ])('%j against %j is %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
  });

  it('treats a literal * in the text as one character', () => {
    expect(wildcardMatch('a?', 'a*')).toBe(true);
    expect(wildcardMatch('a*', 'a*')).toBe(true);
    expect(wildcardMatch('ab', 'a*')).toBe(false);
  });

  it('agrees with an equivalent regular expression', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', ':');
    const patternAlphabet = fc.constantFrom('a', 'b', '/', ':', '*', '?');
    fc.assert(
      fc.property(fc.string({ unit: patternAlphabet, maxLength: 8 }), fc.string({ unit: alphabet, maxLength: 10 }), (pattern, text) => {
        const source = pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
        expect(wildcardMatch(pattern, text)).toBe(new RegExp(`^${source}$`, 's').test(text));
      }),
    );
  });
});

describe('policyAllows', () => {
  const arn = 'arn:aws:execute-api:us-east-1:123456789012:localapi00/local/GET/me';
  const allow = (...resources: string[]): PolicyStatement => ({ effect: 'Allow', actions: ['execute-api:Invoke'], resources });
  const deny = (...resources: string[]): PolicyStatement => ({ effect: 'Deny', actions: ['execute-api:Invoke'], resources });

  it('denies when no statement matches', () => {
    expect(policyAllows([allow(arn.replace('/me', '/admin'))], arn)).toBe(false);
  });

  it('allows with a matching Allow', () => {
    expect(policyAllows([allow(arn)], arn)).toBe(true);
  });

  it('denies with a matching Deny whatever the order', () => {
    expect(policyAllows([allow('*'), deny(arn)], arn)).toBe(false);
    expect(policyAllows([deny(arn), allow('*')], arn)).toBe(false);
  });

  it('ignores a Deny of another resource', () => {
    expect(policyAllows([allow('*'), deny(arn.replace('/me', '/admin'))], arn)).toBe(true);
  });

  it('ignores statements for other actions', () => {
    expect(policyAllows([{ effect: 'Allow', actions: ['execute-api:ManageConnections'], resources: ['*'] }], arn)).toBe(false);
    expect(policyAllows([allow('*'), { effect: 'Deny', actions: ['s3:*'], resources: ['*'] }], arn)).toBe(true);
  });
});

describe('parseAuthorizerResult', () => {
  const statement = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' };

  it('converts context values to strings', () => {
    const grant = parseAuthorizerResult({
      principalId: 'p',
      policyDocument: { Version: '2012-10-17', Statement: [statement] },
      context: { a: 'x', b: 2, c: false },
    });

    expect(grant).toEqual({
      principalId: 'p',
      statements: [{ effect: 'Allow', actions: ['execute-api:Invoke'], resources: ['*'] }],
      context: { a: 'x', b: '2', c: 'false' },
    });
  });

  it('accepts a missing or null context', () => {
    expect(parseAuthorizerResult({ principalId: 'p', policyDocument: { Statement: [statement] } }).context).toEqual({});
    expect(parseAuthorizerResult({ principalId: 'p', policyDocument: { Statement: [statement] }, context: null }).context).toEqual({});
  });

  it.each([
    [{ principalId: '', policyDocument: { Statement: [statement] } }, 'principalId is missing or not a non-empty string'],
    [{ principalId: 'p', policyDocument: [] }, 'policyDocument is missing or not an object'],
    [{ principalId: 'p', policyDocument: { Statement: [{ ...statement, Action: [] }] } }, 'policyDocument.Statement[0].Action must be a non-empty string or a list of them'],
    [{ principalId: 'p', policyDocument: { Statement: [statement, { ...statement, Resource: [1] }] } }, 'policyDocument.Statement[1].Resource must be a non-empty string or a list of them'],
    [{ principalId: 'p', policyDocument: { Statement: [statement] }, context: { n: { nested: 1 } } }, 'context.n is an object; only strings, numbers and booleans are allowed'],
  ])('rejects %j', (result, message) => {
    expect(() => parseAuthorizerResult(result)).toThrow(new InvalidAuthorizerResultError(message));
  });
});
