import { createHash, randomBytes } from 'node:crypto';

import type { OidcProviderInfo } from './processes';

function basicAuthorization(info: OidcProviderInfo): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(info.clientId)}:${encodeURIComponent(info.clientSecret)}`).toString('base64')}`;
}

async function tokenRequest(info: OidcProviderInfo, parameters: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${info.issuer}/token`, {
    method: 'POST',
    headers: { Authorization: basicAuthorization(info), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(parameters),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`token request failed with ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Requests a JWT access token with the client credentials grant for `resource` (the `aud`). */
export async function clientCredentialsToken(
  info: OidcProviderInfo,
  options: { scope: string; resource?: string },
): Promise<string> {
  const body = await tokenRequest(info, {
    grant_type: 'client_credentials',
    scope: options.scope,
    resource: options.resource ?? info.audience,
  });
  return String(body.access_token);
}

/**
 * Runs the authorization code flow with PKCE and returns the ID token for `accountId`. The fixture signs in the
 * `login_hint` account and grants consent without a page, so following the redirects with a cookie jar
 * reaches the redirect URI with the code.
 */
export async function idToken(info: OidcProviderInfo, accountId: string): Promise<string> {
  const cookies = new Map<string, string>();
  const verifier = randomBytes(32).toString('base64url');
  const parameters = new URLSearchParams({
    client_id: info.clientId,
    response_type: 'code',
    scope: 'openid email',
    redirect_uri: info.redirectUri,
    login_hint: accountId,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    nonce: randomBytes(8).toString('hex'),
    state: randomBytes(8).toString('hex'),
  });

  let url = new URL(`${info.issuer}/auth?${parameters}`);
  let code: string | null = null;
  for (let step = 0; step < 10 && code === null; step += 1) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { Cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const separator = pair.indexOf('=');
      cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization flow stopped at ${url} with ${response.status}: ${await response.text()}`);
    url = new URL(location, url);
    if (url.href.startsWith(info.redirectUri)) code = url.searchParams.get('code');
  }
  if (!code) throw new Error('authorization flow did not reach the redirect URI');

  const body = await tokenRequest(info, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: info.redirectUri,
    code_verifier: verifier,
  });
  return String(body.id_token);
}

/** Moves the provider's clock by `offsetSeconds` for the tokens it issues next. */
export async function setProviderClock(info: OidcProviderInfo, offsetSeconds: number): Promise<void> {
  const response = await fetch(`${info.issuer}/test-control/clock`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ offsetSeconds }),
  });
  if (response.status !== 200) throw new Error(`setting the provider clock failed with ${response.status}`);
}

/** Decodes the payload of a JWT without verifying it, for assertions. */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Returns the token with its payload changed and the old signature, which a verifier must reject. */
export function withPayload(token: string, changes: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  const payload = Buffer.from(JSON.stringify({ ...jwtPayload(token), ...changes })).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
