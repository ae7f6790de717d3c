import { createPublicKey, KeyObject } from 'node:crypto';

import { TokenRejectedError } from '../errors';
import { type AsymmetricAlgorithm, requirementsOf } from './algorithms';

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** A public JWK from a key set, as published. Untrusted shape: every field is checked before use. */
export interface Jwk {
  readonly kty?: unknown;
  readonly kid?: unknown;
  readonly alg?: unknown;
  readonly use?: unknown;
  readonly key_ops?: unknown;
  readonly crv?: unknown;
  readonly [member: string]: unknown;
}

/** A JWK imported once as a node:crypto public key. */
export interface ImportedJwk {
  readonly jwk: Jwk;
  readonly key: KeyObject;
}

/** Imports a public JWK; returns undefined when node:crypto cannot read it (the key is then never usable). */
export function importPublicJwk(jwk: Jwk): ImportedJwk | undefined {
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return undefined;
  try {
    // Only public members are passed on, so a key set that leaks a private member still yields a public key.
    const publicMembers: Record<string, unknown> = { kty: jwk.kty };
    for (const member of ['n', 'e', 'crv', 'x', 'y']) {
      if (jwk[member] !== undefined) publicMembers[member] = jwk[member];
    }
    const key = createPublicKey({ key: publicMembers as never, format: 'jwk' });
    return { jwk, key };
  } catch {
    return undefined;
  }
}

/**
 * Checks that a key may verify a token signed with `alg`: key type and curve match the algorithm, the JWK's
 * own `alg`, `use` and `key_ops` (when present) agree with it, and RSA keys have at least 2048 bits.
 */
export function assertKeyFitsAlgorithm(imported: ImportedJwk, alg: AsymmetricAlgorithm): void {
  const { jwk, key } = imported;
  const requirements = requirementsOf(alg);

  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new TokenRejectedError('alg_not_allowed', 'token alg differs from the key alg');
  }
  if (jwk.kty !== requirements.kty) {
    throw new TokenRejectedError('alg_not_allowed', 'token alg does not match the key type');
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new TokenRejectedError('key_rejected', 'key use is not sig');
  }
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    throw new TokenRejectedError('key_rejected', 'key_ops does not include verify');
  }
  if (requirements.crv && !requirements.crv.includes(String(jwk.crv))) {
    throw new TokenRejectedError('alg_not_allowed', 'token alg does not match the key curve');
  }
  if (requirements.kty === 'RSA') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS) {
      throw new TokenRejectedError('key_rejected', `RSA key has ${bits} bits; at least ${MIN_RSA_MODULUS_BITS} are required`);
    }
  }
}
