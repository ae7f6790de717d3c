import { ConfigurationError } from '../../../lambda/shared/errors';
import { LOCAL_DEFAULTS, readLocalGatewaySettings } from '../../../infra/local/settings';

function configurationError(env: NodeJS.ProcessEnv): ConfigurationError {
  try {
    readLocalGatewaySettings(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('readLocalGatewaySettings accepted the environment');
}

describe('readLocalGatewaySettings', () => {
  it('uses the documented defaults', () => {
    const settings = readLocalGatewaySettings({});

    expect(settings.port).toBe(3000);
    expect(settings.authorizerCacheTtlSeconds).toBe(300);
    expect(settings.dataDir).toBe('.local');
    expect(settings.users).toEqual([
      {
        email: LOCAL_DEFAULTS.userEmail,
        password: LOCAL_DEFAULTS.userPassword,
        scopes: ['profile'],
        defaultPassword: true,
        passwordSetting: 'LOCAL_USER_PASSWORD',
      },
      {
        email: LOCAL_DEFAULTS.adminEmail,
        password: LOCAL_DEFAULTS.adminPassword,
        scopes: ['admin', 'profile'],
        defaultPassword: true,
        passwordSetting: 'LOCAL_ADMIN_PASSWORD',
      },
    ]);
  });

  it('reads every setting', () => {
    const settings = readLocalGatewaySettings({
      PORT: '0',
      AUTHORIZER_CACHE_TTL: '0',
      DATA_DIR: ' /tmp/x ',
      LOCAL_USER_EMAIL: ' Me@Example.COM ',
      LOCAL_USER_PASSWORD: 'a password of mine',
    });

    expect(settings.port).toBe(0);
    expect(settings.authorizerCacheTtlSeconds).toBe(0);
    expect(settings.dataDir).toBe('/tmp/x');
    expect(settings.users[0]).toMatchObject({ email: 'me@example.com', password: 'a password of mine', defaultPassword: false });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'invalid value "abc"; set a TCP port from 0 to 65535 (0 picks a free port), or unset it for the default 3000'],
    [{ PORT: '65536' }, 'PORT', 'invalid value "65536"'],
    [{ PORT: '-1' }, 'PORT', 'invalid value "-1"'],
    [{ AUTHORIZER_CACHE_TTL: 'abc' }, 'AUTHORIZER_CACHE_TTL', 'invalid value "abc"; set a whole number of seconds from 0 to 3600, or unset it for the default 300'],
    [{ AUTHORIZER_CACHE_TTL: '3601' }, 'AUTHORIZER_CACHE_TTL', 'invalid value "3601"'],
    [{ AUTHORIZER_CACHE_TTL: '1.5' }, 'AUTHORIZER_CACHE_TTL', 'invalid value "1.5"'],
    [{ LOCAL_USER_EMAIL: 'not-an-email' }, 'LOCAL_USER_EMAIL', 'invalid email address "not-an-email"'],
    [{ LOCAL_ADMIN_EMAIL: 'demo@example.com' }, 'LOCAL_USER_EMAIL', 'equals LOCAL_ADMIN_EMAIL (demo@example.com)'],
  ])('rejects %j', (env, setting, message) => {
    const error = configurationError(env);

    expect(error.setting).toBe(setting);
    expect(error.message).toContain(message);
  });

  it('rejects a short password without echoing it', () => {
    const error = configurationError({ LOCAL_ADMIN_PASSWORD: 'hunter2' });

    expect(error.setting).toBe('LOCAL_ADMIN_PASSWORD');
    expect(error.message).toBe(
      'LOCAL_ADMIN_PASSWORD: password has 7 characters; use 12 to 128; set a password of that length, or unset it for the default',
    );
    expect(error.message).not.toContain('hunter2');
  });
});
