import { TokenRejectedError } from '../errors';

/** JSON object decoded from a token segment. Untrusted until the signature is verified. */
export type UnverifiedJsonObject = Readonly<Record<string, unknown>>;

/** A JWS compact token split into its parts. Nothing in it has been verified. */
export interface DecomposedUnverifiedJwt {
  readonly header: UnverifiedJsonObject;
  readonly payload: UnverifiedJsonObject;
  /** `<header>.<payload>` exactly as received: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** RFC 7515 compact serialization: three non-empty base64url segments without padding. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Maximum token length in characters. API Gateway limits the whole header to about 10 KB anyway. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Extracts the token from an `Authorization` header value: the `Bearer` scheme in any letter case, one
 * space, and one JWS compact token.
 */
export function extractBearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw new TokenRejectedError('missing_token', 'Authorization header is missing');
  }
  if (authorization.length > MAX_TOKEN_LENGTH + 7 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') {
    throw new TokenRejectedError('malformed', 'Authorization header does not use the Bearer scheme');
  }
  const token = authorization.slice(7);
  if (!JWS_COMPACT.test(token)) {
    throw new TokenRejectedError('malformed', 'Bearer token is not a JWS compact token');
  }
  return token;
}

/** Base64url characters whose low 4 (for a length of 2 mod 4) or low 2 (3 mod 4) bits are zero. */
const LAST_CHARACTER_AFTER_TWO = 'AQgw';
const LAST_CHARACTER_AFTER_THREE = 'AEIMQUYcgkosw048';

/**
 * Decodes one segment, rejecting every non-canonical spelling: Buffer decoding would silently drop a
 * dangling character (length 1 mod 4) and unused trailing bits that are not zero.
 */
function decodeSegment(segment: string, part: string): Buffer {
  const remainder = segment.length % 4;
  const last = segment[segment.length - 1];
  const canonical =
    remainder === 0 ||
    (remainder === 2 && LAST_CHARACTER_AFTER_TWO.includes(last)) ||
    (remainder === 3 && LAST_CHARACTER_AFTER_THREE.includes(last));
  if (!canonical) throw new TokenRejectedError('malformed', `token ${part} is not canonical base64url`);
  return Buffer.from(segment, 'base64url');
}

function parseJsonObject(segment: string, part: string): UnverifiedJsonObject {
  let value: unknown;
  try {
    value = JSON.parse(decodeSegment(segment, part).toString('utf8'));
  } catch (error) {
    if (error instanceof TokenRejectedError) throw error;
    throw new TokenRejectedError('malformed', `token ${part} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenRejectedError('malformed', `token ${part} is not a JSON object`);
  }
  return value as UnverifiedJsonObject;
}

/** Splits and decodes a JWS compact token without verifying anything. */
export function decomposeUnverifiedJwt(token: string): DecomposedUnverifiedJwt {
  if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) {
    throw new TokenRejectedError('malformed', 'token is not a JWS compact token');
  }
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);

  const header = parseJsonObject(token.slice(0, firstDot), 'header');
  const payload = parseJsonObject(token.slice(firstDot + 1, secondDot), 'payload');
  const signature = decodeSegment(token.slice(secondDot + 1), 'signature');

  if (typeof header.alg !== 'string') {
    throw new TokenRejectedError('malformed', 'token header has no alg');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new TokenRejectedError('malformed', 'token header kid is not a string');
  }
  // RFC 7515 section 4.1.11: a recipient must reject a token whose crit lists an extension it does not
  // process. This verifier processes none, so any crit is rejected.
  if (header.crit !== undefined) {
    throw new TokenRejectedError('unsupported_crit', 'token header lists critical extensions');
  }

  return { header, payload, signingInput: token.slice(0, secondDot), signature };
}
