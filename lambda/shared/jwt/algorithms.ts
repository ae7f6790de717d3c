import { constants, createHmac, KeyObject, timingSafeEqual, verify } from 'node:crypto';

import { TokenRejectedError } from '../errors';

/** Asymmetric algorithms accepted from JWKS issuers (RFC 7518 section 3.1, RFC 8037). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export function isAsymmetricAlgorithm(alg: string): alg is AsymmetricAlgorithm {
  return (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
}

/** Key type, digest and curve a JWK needs to verify a given algorithm. */
interface AlgorithmRequirements {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** Digest for node:crypto, or null for EdDSA, which hashes internally. */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  readonly crv?: readonly string[];
  readonly pss?: boolean;
  /** ECDSA signature length in bytes: two coordinates (RFC 7518 section 3.4). */
  readonly ecdsaSignatureLength?: number;
}

const REQUIREMENTS: Readonly<Record<AsymmetricAlgorithm, AlgorithmRequirements>> = {
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', pss: true },
  PS384: { kty: 'RSA', digest: 'sha384', pss: true },
  PS512: { kty: 'RSA', digest: 'sha512', pss: true },
  ES256: { kty: 'EC', digest: 'sha256', crv: ['P-256'], ecdsaSignatureLength: 64 },
  ES384: { kty: 'EC', digest: 'sha384', crv: ['P-384'], ecdsaSignatureLength: 96 },
  ES512: { kty: 'EC', digest: 'sha512', crv: ['P-521'], ecdsaSignatureLength: 132 },
  EdDSA: { kty: 'OKP', digest: null, crv: ['Ed25519', 'Ed448'] },
};

export function requirementsOf(alg: AsymmetricAlgorithm): AlgorithmRequirements {
  return REQUIREMENTS[alg];
}

/**
 * Verifies a JWS signature with a public key that has already passed the JWK checks. Returns false for a
 * wrong signature, including one that node:crypto cannot parse.
 */
export function verifyAsymmetricSignature(
  alg: AsymmetricAlgorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const requirements = REQUIREMENTS[alg];
  if (requirements.ecdsaSignatureLength !== undefined && signature.length !== requirements.ecdsaSignatureLength) {
    return false;
  }
  const data = Buffer.from(signingInput, 'latin1');
  try {
    if (requirements.pss) {
      return verify(
        requirements.digest,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    if (requirements.kty === 'EC') {
      // JWS carries ECDSA signatures as raw r || s, not DER.
      return verify(requirements.digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return verify(requirements.digest, data, key, signature);
  } catch {
    // node:crypto throws on some malformed signatures (for example a wrong RSA length); that is a bad signature.
    return false;
  }
}

/** Verifies an HS256 signature in constant time. */
export function verifyHs256Signature(secret: KeyObject | Buffer, signingInput: string, signature: Buffer): boolean {
  if (signature.length !== 32) return false;
  const expected = createHmac('sha256', secret).update(signingInput, 'latin1').digest();
  return timingSafeEqual(expected, signature);
}

/** Throws `alg_not_allowed` unless the algorithm is in the issuer's allowlist. Case-sensitive, so `none`/`NONE` fail. */
export function assertAlgorithmAllowed(alg: string, allowed: readonly string[], issuerKind: string): void {
  if (!allowed.includes(alg)) {
    throw new TokenRejectedError('alg_not_allowed', `token alg is not allowed for the ${issuerKind} issuer`);
  }
}
