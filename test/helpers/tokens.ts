import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export type TestAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA';

/** A generated signing key with its public JWK as a key set would publish it. */
export interface TestKey {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** Generates a key pair for `alg`. RSA keys have 2048 bits unless `modulusLength` is set. */
export function generateTestKey(alg: TestAlgorithm, kid: string, options: { modulusLength?: number; jwkAlg?: string | null } = {}): TestKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    pair = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
  } else if (alg.startsWith('ES')) {
    pair = generateKeyPairSync('ec', { namedCurve: CURVES[alg] });
  } else {
    pair = generateKeyPairSync('ed25519');
  }
  const jwk: Record<string, unknown> = { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig' };
  if (options.jwkAlg !== null) jwk.alg = options.jwkAlg ?? alg;
  return { alg, kid, ...pair, jwk };
}

/** Signs claims with a test key. `header` adds or overrides protected header members. */
export async function signToken(
  key: TestKey,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

export const base64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Builds a token from raw parts without signing, for headers that a JWT library refuses to produce. */
export function rawToken(header: object, payload: object, signature = 'c2lnbmF0dXJl'): string {
  return `${base64url(header)}.${base64url(payload)}.${signature}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Signs an RS256 token with node:crypto directly, for keys that jose refuses (such as 1024-bit RSA). */
export function signRs256Raw(privateKey: KeyObject, header: object, payload: object): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** Signs an HS256 token with node:crypto directly, for headers and claims that jose refuses. */
export function signHs256Raw(secret: Buffer | string, header: object, payload: object): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}
