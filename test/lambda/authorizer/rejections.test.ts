import { generateKeyPairSync } from 'node:crypto';

import { KeyEndpoint } from '../../helpers/jwks-server';
import { loadAuthorizer, type LoadedAuthorizer, thrownMessage, tokenEvent } from '../../helpers/load-authorizer';
import {
  base64url,
  generateTestKey,
  nowSeconds,
  rawToken,
  signHs256Raw,
  signRs256Raw,
  signToken,
  type TestKey,
} from '../../helpers/tokens';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'orders-api';

describe('authorizer rejections', () => {
  let endpoint: KeyEndpoint;
  let key: TestKey;
  let authorizer: LoadedAuthorizer;

  const validClaims = (overrides: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: nowSeconds() - 5,
    exp: nowSeconds() + 300,
    ...overrides,
  });

  /** Runs the handler and returns the thrown message and the logged reason code. */
  const outcome = async (authorization: string) => {
    const message = await thrownMessage(authorizer.handler(tokenEvent(authorization)));
    return { message, reason: authorizer.decisions.at(-1)?.reason };
  };

  beforeAll(async () => {
    key = generateTestKey('RS256', 'good-key');
    endpoint = await new KeyEndpoint().start();
  });

  beforeEach(() => {
    endpoint.mode = 'up';
    endpoint.jwks = { keys: [key.jwk] };
    authorizer = loadAuthorizer({ ISSUER_URL: ISSUER, AUDIENCE, JWKS_URI: endpoint.jwksUri });
  });

  afterEach(() => authorizer.restore());
  afterAll(() => endpoint.stop());

  it('accepts the valid baseline token', async () => {
    const result = await authorizer.handler(tokenEvent(`Bearer ${await signToken(key, validClaims())}`));

    expect(result.principalId).toBe('user-1');
  });

  describe('token extraction', () => {
    it('rejects an empty header as missing_token', async () => {
      expect(await outcome('')).toEqual({ message: 'Unauthorized', reason: 'missing_token' });
    });

    it('accepts the scheme in any letter case', async () => {
      const token = await signToken(key, validClaims());

      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const result = await authorizer.handler(tokenEvent(`${scheme} ${token}`));
        expect(result.principalId).toBe('user-1');
      }
    });

    it.each([
      ['another scheme', (token: string) => `Basic ${token}`],
      ['no space', (token: string) => `Bearer${token}`],
      ['two spaces', (token: string) => `Bearer  ${token}`],
      ['a trailing space', (token: string) => `Bearer ${token} `],
      ['two tokens', (token: string) => `Bearer ${token} ${token}`],
      ['a bare token', (token: string) => token],
      ['two segments', (token: string) => `Bearer ${token.split('.').slice(0, 2).join('.')}`],
      ['four segments', (token: string) => `Bearer ${token}.${token.split('.')[2]}`],
      ['padding', (token: string) => `Bearer ${token}=`],
      ['a plus sign', (token: string) => `Bearer ${token.replace(/-|_/, '+')}x`],
      ['a slash', (token: string) => `Bearer ${token}/`],
      ['an empty signature', (token: string) => `Bearer ${token.split('.').slice(0, 2).join('.')}.`],
    ])('rejects %s as malformed', async (_case, build) => {
      const token = await signToken(key, validClaims());

      expect(await outcome(build(token))).toEqual({ message: 'Unauthorized', reason: 'malformed' });
    });

    it('rejects a header that is not JSON', async () => {
      const token = `${base64url('not json')}.${base64url(validClaims())}.c2ln`;

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'malformed' });
    });

    it('rejects a payload that is a JSON array', async () => {
      const token = `${base64url({ alg: 'RS256', kid: 'good-key' })}.${base64url([1, 2])}.c2ln`;

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'malformed' });
    });

    it('rejects non-canonical base64url', async () => {
      const token = await signToken(key, validClaims());
      // "c2lnbg" decodes like "c2lnbh": trailing bits that canonical base64url leaves zero are set.
      const [header, payload] = token.split('.');

      expect(await outcome(`Bearer ${header}.${payload}.c2lnbh`)).toEqual({ message: 'Unauthorized', reason: 'malformed' });
    });
  });

  describe('algorithms', () => {
    it.each(['none', 'None', 'NONE', 'nOnE'])('rejects alg %s', async (alg) => {
      const token = rawToken({ alg, kid: 'good-key' }, validClaims());

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'alg_not_allowed' });
    });

    it('rejects HS256 signed with the public key as the secret', async () => {
      const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' });
      const token = signHs256Raw(publicPem, { alg: 'HS256', kid: 'good-key' }, validClaims());

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'alg_not_allowed' });
    });

    it('rejects an alg that differs from the key alg', async () => {
      // The JWK declares RS256, and the same RSA key signs PS256.
      const token = await signToken({ ...key, alg: 'PS256' }, validClaims());

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'alg_not_allowed' });
    });

    it('rejects an alg that does not fit the key type', async () => {
      const ecKey = generateTestKey('ES256', 'ec-key', { jwkAlg: null });
      endpoint.jwks = { keys: [{ ...ecKey.jwk, kid: 'good-key' }] };

      expect(await outcome(`Bearer ${await signToken(key, validClaims())}`)).toEqual({
        message: 'Unauthorized',
        reason: 'alg_not_allowed',
      });
    });

    it('rejects an unknown crit extension', async () => {
      // jose refuses to sign with an unknown crit, so the token is signed with node:crypto.
      const header = { alg: 'RS256', kid: 'good-key', crit: ['http://example.com/ext'], 'http://example.com/ext': true };
      const token = signRs256Raw(key.privateKey, header, validClaims());

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'unsupported_crit' });
    });
  });

  describe('keys named in the header', () => {
    it('never uses an embedded jwk or fetches jku/x5u', async () => {
      const attacker = generateTestKey('RS256', 'attacker-key');
      const token = await signToken(attacker, validClaims(), {
        jwk: attacker.jwk,
        jku: `${endpoint.issuer}/attacker-jwks.json`,
        x5u: `${endpoint.issuer}/attacker-cert.pem`,
      });

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'kid_not_found' });
      expect(endpoint.count('/attacker-jwks.json')).toBe(0);
      expect(endpoint.count('/attacker-cert.pem')).toBe(0);
    });

    it('rejects an attacker key that reuses a published kid', async () => {
      const attacker = generateTestKey('RS256', 'good-key');
      const token = await signToken(attacker, validClaims(), { jwk: attacker.jwk });

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'bad_signature' });
    });
  });

  describe('key checks', () => {
    it('rejects an RSA key under 2048 bits', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      endpoint.jwks = { keys: [{ ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak-key', alg: 'RS256', use: 'sig' }] };
      const token = signRs256Raw(weak.privateKey, { alg: 'RS256', kid: 'weak-key' }, validClaims());

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'key_rejected' });
    });

    it('rejects a key published for encryption', async () => {
      endpoint.jwks = { keys: [{ ...key.jwk, use: 'enc' }] };

      expect(await outcome(`Bearer ${await signToken(key, validClaims())}`)).toEqual({
        message: 'Unauthorized',
        reason: 'key_rejected',
      });
    });

    it('rejects an unknown kid', async () => {
      const token = await signToken(key, validClaims(), { kid: 'unknown-key' });

      expect(await outcome(`Bearer ${token}`)).toEqual({ message: 'Unauthorized', reason: 'kid_not_found' });
    });
  });

  describe('signature', () => {
    it('rejects a payload changed after signing', async () => {
      const [header, , signature] = (await signToken(key, validClaims())).split('.');
      const tampered = `${header}.${base64url(validClaims({ sub: 'admin-user', scope: 'admin' }))}.${signature}`;

      expect(await outcome(`Bearer ${tampered}`)).toEqual({ message: 'Unauthorized', reason: 'bad_signature' });
    });
  });

  describe('claims', () => {
    it.each([
      ['another issuer', () => ({ iss: 'https://evil.example.com' }), 'issuer_mismatch'],
      ['an issuer prefix match', () => ({ iss: `${ISSUER}/tenant` }), 'issuer_mismatch'],
      ['no issuer', () => ({ iss: undefined }), 'missing_claim'],
      ['another audience', () => ({ aud: 'billing-api' }), 'audience_mismatch'],
      ['an audience array without ours', () => ({ aud: ['billing-api', 'account'] }), 'audience_mismatch'],
      ['no audience', () => ({ aud: undefined }), 'missing_claim'],
      ['a numeric audience', () => ({ aud: 42 }), 'invalid_claim'],
      ['no exp', () => ({ exp: undefined }), 'missing_claim'],
      ['exp as a string', (now: number) => ({ exp: String(now + 300) }), 'invalid_claim'],
      ['nbf as a string', (now: number) => ({ nbf: String(now - 10) }), 'invalid_claim'],
      ['iat as a boolean', () => ({ iat: true }), 'invalid_claim'],
      ['an expired exp', (now: number) => ({ exp: now - 3600 }), 'expired'],
      ['a future nbf', (now: number) => ({ nbf: now + 3600 }), 'not_yet_valid'],
      ['a future iat', (now: number) => ({ iat: now + 3600 }), 'not_yet_valid'],
      ['no sub', () => ({ sub: undefined }), 'missing_claim'],
      ['an empty sub', () => ({ sub: '' }), 'invalid_claim'],
    ])('rejects %s', async (_case, overrides, reason) => {
      const claims: Record<string, unknown> = validClaims(overrides(nowSeconds()));
      for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];

      expect(await outcome(`Bearer ${await signToken(key, claims)}`)).toEqual({ message: 'Unauthorized', reason });
    });
  });

  describe('key endpoint outage', () => {
    it('fails closed with keys_unavailable, not Unauthorized', async () => {
      authorizer.restore();
      endpoint.mode = 'error';
      authorizer = loadAuthorizer({ ISSUER_URL: ISSUER, AUDIENCE, JWKS_URI: endpoint.jwksUri });

      const result = await outcome(`Bearer ${await signToken(key, validClaims())}`);

      // Any message other than Unauthorized makes API Gateway return the authorizer-failure response.
      expect(result.message).not.toBe('Unauthorized');
      expect(result.message).not.toBe('returned');
      expect(result.reason).toBe('keys_unavailable');
      expect(authorizer.decisions.at(-1)?.decision).toBe('error');
    });
  });
});
