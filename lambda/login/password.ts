import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (RFC 7914) from `node:crypto`.
 *
 * A stored hash is a PHC string, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, with salt and hash in unpadded
 * standard base64. `ln` is log2 of the cost N. The key length is the decoded length of the hash. The string
 * carries every parameter, so hashes made with older parameters still verify and are re-hashed on the next
 * successful login (see `needsRehash`).
 */

export interface ScryptParameters {
  /** CPU and memory cost; a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
  /** Derived key length in bytes. */
  readonly keyLength: number;
}

/** Parameters of new hashes. One hash takes about 128 MiB (128 × N × r bytes) and a few hundred milliseconds. */
export const CURRENT_SCRYPT_PARAMETERS: ScryptParameters = { N: 2 ** 17, r: 8, p: 1, keyLength: 32 };

/** Maximum password length in characters (Unicode code points), for logins and new passwords. Checked before hashing. */
export const MAX_PASSWORD_LENGTH = 128;

/** Salt length of new hashes, in bytes. */
export const SALT_BYTES = 16;

/**
 * Memory limit passed to scrypt as `maxmem`, in bytes. Node rejects parameters that need about 128 × N × r
 * bytes or more than this, so a stored hash cannot make the function allocate more.
 */
export const SCRYPT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

/** A parsed stored hash. */
export interface PasswordHash extends ScryptParameters {
  readonly algorithm: 'scrypt';
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** A stored hash that is not a PHC scrypt string within the accepted limits. */
export class InvalidPasswordHashError extends Error {
  public override readonly name = 'InvalidPasswordHashError';
}

const PHC_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Parses a stored hash and checks its parameters against the limits this module can compute. */
export function parsePasswordHash(stored: string): PasswordHash {
  const match = PHC_PATTERN.exec(stored);
  if (!match) throw new InvalidPasswordHashError('stored password hash is not a $scrypt$ PHC string');

  const [, logN, r, p, salt, hash] = match;
  const parsed: PasswordHash = {
    algorithm: 'scrypt',
    N: 2 ** Number(logN),
    r: Number(r),
    p: Number(p),
    keyLength: Buffer.from(hash, 'base64').length,
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
  };
  checkParameters(parsed, parsed.salt.length);
  return parsed;
}

/** Formats a hash as the PHC string stored in the users table. */
export function formatPasswordHash(passwordHash: PasswordHash): string {
  const logN = Math.log2(passwordHash.N);
  const base64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${logN},r=${passwordHash.r},p=${passwordHash.p}$${base64(passwordHash.salt)}$${base64(passwordHash.hash)}`;
}

/** Hashes a password with a fresh random salt and returns the PHC string to store. */
export async function hashPassword(
  password: string,
  parameters: ScryptParameters = CURRENT_SCRYPT_PARAMETERS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  checkParameters(parameters, salt.length);
  const hash = await deriveKey(password, salt, parameters);
  return formatPasswordHash({ algorithm: 'scrypt', ...parameters, salt, hash });
}

/**
 * Starts hashing a random password with the current parameters. A login for an unknown email or a locked
 * account is checked against this hash, so it costs the same scrypt work as a wrong password.
 */
export function createDummyPasswordHash(): Promise<string> {
  const dummyHash = hashPassword(randomBytes(32).toString('base64url'));
  // The first login awaits the promise; this handler only stops a failure before then from crashing the process.
  dummyHash.catch(() => undefined);
  return dummyHash;
}

/**
 * Checks a password against a stored hash, comparing the keys with `timingSafeEqual`.
 * Throws `InvalidPasswordHashError` when the stored hash cannot be parsed.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const expected = parsePasswordHash(stored);
  const actual = await deriveKey(password, expected.salt, expected);
  return timingSafeEqual(actual, expected.hash);
}

/** Tests whether a stored hash is weaker than `current` in any parameter or salt length, or cannot be parsed. */
export function needsRehash(stored: string, current: ScryptParameters = CURRENT_SCRYPT_PARAMETERS): boolean {
  let parsed: PasswordHash;
  try {
    parsed = parsePasswordHash(stored);
  } catch {
    return true;
  }
  return (
    parsed.N < current.N ||
    parsed.r < current.r ||
    parsed.p < current.p ||
    parsed.keyLength < current.keyLength ||
    parsed.salt.length < SALT_BYTES
  );
}

/** Counts the characters of a password as Unicode code points, so an emoji counts once. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/**
 * Derives the scrypt key of a password. The password is normalised to Unicode NFC first, so the same
 * characters typed on different systems give the same key. Runs on the libuv thread pool, not the event loop.
 */
function deriveKey(password: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const secret = Buffer.from(password.normalize('NFC'), 'utf8');
  const options = { N: parameters.N, r: parameters.r, p: parameters.p, maxmem: SCRYPT_MAX_MEMORY_BYTES };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, parameters.keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function checkParameters(parameters: ScryptParameters, saltLength: number): void {
  const { N, r, p, keyLength } = parameters;
  const problems: string[] = [];
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0) problems.push(`N=${N} is not a power of two above 1`);
  if (!Number.isInteger(r) || r < 1) problems.push(`r=${r} is below 1`);
  if (!Number.isInteger(p) || p < 1 || p > 16) problems.push(`p=${p} is outside 1..16`);
  if (128 * N * r >= SCRYPT_MAX_MEMORY_BYTES) problems.push(`N=${N}, r=${r} need more than ${SCRYPT_MAX_MEMORY_BYTES} bytes`);
  if (keyLength < 16 || keyLength > 64) problems.push(`key length ${keyLength} bytes is outside 16..64`);
  if (saltLength < 8 || saltLength > 64) problems.push(`salt length ${saltLength} bytes is outside 8..64`);
  if (problems.length > 0) throw new InvalidPasswordHashError(`invalid scrypt parameters: ${problems.join('; ')}`);
}
