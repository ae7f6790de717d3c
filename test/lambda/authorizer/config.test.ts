import { readAuthorizerConfig } from '../../../lambda/authorizer/config';
import { ConfigurationError } from '../../../lambda/shared/errors';
import { loadAuthorizer } from '../../helpers/load-authorizer';

const configError = (env: Record<string, string>): ConfigurationError | undefined => {
  try {
    readAuthorizerConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  return undefined;
};

describe('readAuthorizerConfig', () => {
  it('detects a Cognito user pool issuer', () => {
    const config = readAuthorizerConfig({
      ISSUER_URL: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbC123xyZ',
      AUDIENCE: 'client-a, client-b',
    });

    expect(config.external).toMatchObject({ kind: 'cognito', audiences: ['client-a', 'client-b'], tokenUse: 'access' });
  });

  it('treats any other issuer as generic OIDC with discovery', () => {
    const config = readAuthorizerConfig({ ISSUER_URL: 'https://example-tenant.eu.auth0.com/', AUDIENCE: 'https://api.example.com' });

    expect(config.external).toMatchObject({ kind: 'oidc', issuer: 'https://example-tenant.eu.auth0.com/', jwksUri: undefined });
  });

  it('does not treat a Cognito URL with a trailing path as Cognito', () => {
    const config = readAuthorizerConfig({
      ISSUER_URL: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyZ/extra',
      AUDIENCE: 'client',
    });

    expect(config.external?.kind).toBe('oidc');
  });

  it('uses the documented defaults', () => {
    const config = readAuthorizerConfig({ SIGNING_KEY_FILE: '/tmp/keys.json' });

    expect(config.clockToleranceSeconds).toBe(30);
    expect(config.external).toBeUndefined();
    expect(config.local).toMatchObject({
      issuer: 'urn:jwt-authorizer:local',
      audience: 'jwt-authorizer-api',
      maxTokenLifetimeSeconds: 3600,
      keyRefreshSeconds: 300,
    });
  });

  it.each([
    [{ ISSUER_URL: 'https://issuer.example.com' }, 'AUDIENCE', 'AUDIENCE: is required when ISSUER_URL is set'],
    [{ ISSUER_URL: 'https://issuer.example.com', AUDIENCE: ' , ' }, 'AUDIENCE', 'AUDIENCE: is required when ISSUER_URL is set'],
    [{ ISSUER_URL: 'issuer.example.com', AUDIENCE: 'a' }, 'ISSUER_URL', 'is not an absolute URL'],
    [{ ISSUER_URL: 'http://issuer.example.com', AUDIENCE: 'a' }, 'ISSUER_URL', 'must use https'],
    [{ ISSUER_URL: 'https://issuer.example.com?x=1', AUDIENCE: 'a' }, 'ISSUER_URL', 'must not contain a query'],
    [{ ISSUER_URL: 'https://issuer.example.com', AUDIENCE: 'a', JWKS_URI: 'http://keys.example.com/jwks' }, 'JWKS_URI', 'must use https'],
    [{ JWKS_URI: 'https://keys.example.com/jwks', SIGNING_KEY_FILE: '/k' }, 'JWKS_URI', 'ISSUER_URL is empty'],
    [{ ISSUER_URL: 'https://issuer.example.com', AUDIENCE: 'a', TOKEN_USE: 'refresh' }, 'TOKEN_USE', 'set access or id'],
    [{ SIGNING_KEY_FILE: '/k', CLOCK_TOLERANCE_SECONDS: '-1' }, 'CLOCK_TOLERANCE_SECONDS', 'whole number of seconds from 0 to 300'],
    [{ SIGNING_KEY_FILE: '/k', CLOCK_TOLERANCE_SECONDS: '301' }, 'CLOCK_TOLERANCE_SECONDS', 'whole number of seconds from 0 to 300'],
    [{}, 'ISSUER_URL', 'no issuer is configured'],
    [{ ISSUER_URL: 'https://same.example.com', AUDIENCE: 'a', SIGNING_KEY_FILE: '/k', LOCAL_ISSUER: 'https://same.example.com' }, 'LOCAL_ISSUER', 'give local tokens an issuer of their own'],
    [{ SIGNING_KEY_FILE: '/k', TOKEN_LIFETIME_SECONDS: '7200' }, 'TOKEN_LIFETIME_SECONDS', 'exceeds LOCAL_TOKEN_MAX_LIFETIME_SECONDS'],
  ])('rejects %j naming %s', (env, setting, message) => {
    const error = configError(env);

    expect(error?.setting).toBe(setting);
    expect(error?.message).toContain(message);
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:8080/realms/dev', 'http://[::1]:9000'])('accepts plain http on loopback %s', (issuer) => {
    expect(readAuthorizerConfig({ ISSUER_URL: issuer, AUDIENCE: 'a' }).external?.issuer).toBe(issuer);
  });

  it('fails the handler import on a bad setting', () => {
    expect(() => loadAuthorizer({ ISSUER_URL: 'https://issuer.example.com' })).toThrow(
      'AUDIENCE: is required when ISSUER_URL is set',
    );
  });
});
