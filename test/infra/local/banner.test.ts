import { spawnSync } from 'node:child_process';

import { shellQuote, startupBanner } from '../../../infra/local/banner';
import type { SeedUser } from '../../../infra/local/settings';
import { ROUTES } from '../../../lambda/shared/routes';

/** Runs a bash script in which `curl` prints its last argument (the request body) instead of sending it. */
function bash(script: string, env: Record<string, string> = {}): string {
  const result = spawnSync('bash', ['-c', `curl() { printf '%s' "\${@: -1}"; }\n${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    // With a socket as stdin, bash treats itself as a remote shell and reads ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(result.stderr).toBe('');
  return result.stdout;
}

const user: SeedUser = {
  email: 'demo@example.com',
  password: 'correct-horse-battery',
  scopes: ['profile'],
  defaultPassword: true,
  passwordSetting: 'LOCAL_USER_PASSWORD',
};

const admin: SeedUser = {
  email: 'admin@example.com',
  password: 'admin-horse-battery',
  scopes: ['admin'],
  defaultPassword: true,
  passwordSetting: 'LOCAL_ADMIN_PASSWORD',
};

function banner(users: SeedUser[]): string {
  return startupBanner({
    baseUrl: 'http://127.0.0.1:3000',
    routes: ROUTES,
    authorizerCacheTtlSeconds: 300,
    dataDir: '/work/.local',
    dynamoDbEndpoint: 'http://127.0.0.1:4567',
    users,
    localIssuer: 'urn:jwt-authorizer:local',
    localAudience: 'jwt-authorizer-api',
  });
}

/** Finds the first printed `curl ... /login` line. */
function loginLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.startsWith('  curl -s -X POST'));
  if (!line) throw new Error(`no login line in:\n${text}`);
  return line.trim();
}

describe('shellQuote', () => {
  it.each(["plain", "it's", "'", "$HOME `x` \\ \"q\"", 'two\nlines', ''])('survives bash unchanged: %j', (text) => {
    expect(bash(`printf '%s' ${shellQuote(text)}`)).toBe(text);
  });
});

describe('startupBanner', () => {
  it('prints the default passwords and a login body bash passes as JSON', () => {
    const text = banner([user, admin]);

    expect(text).toContain('demo@example.com  password correct-horse-battery  scopes profile');
    expect(JSON.parse(bash(loginLine(text)))).toEqual({ email: 'demo@example.com', password: 'correct-horse-battery' });
  });

  it('reads a custom password from its variable and never prints it', () => {
    const custom: SeedUser = { ...user, email: "o'neil$x@example.com", password: 'my "secret" $pass', defaultPassword: false };

    const text = banner([custom, admin]);

    expect(text).not.toContain('my "secret" $pass');
    expect(text).toContain('(from LOCAL_USER_PASSWORD)');
    expect(text).toContain('First export LOCAL_USER_PASSWORD in this shell');
    const body = bash(loginLine(text), { LOCAL_USER_PASSWORD: 'plain-password-123' });
    expect(JSON.parse(body)).toEqual({ email: "o'neil$x@example.com", password: 'plain-password-123' });
  });

  it('lists every route with its access rule', () => {
    const text = banner([user, admin]);

    expect(text).toContain('  POST   /login     public\n');
    expect(text).toContain('  GET    /me        any valid token\n');
    expect(text).toContain('  GET    /admin     token with scope admin or group admin\n');
  });
});
