import {
  createDummyPasswordHash,
  CURRENT_SCRYPT_PARAMETERS,
  formatPasswordHash,
  hashPassword,
  InvalidPasswordHashError,
  needsRehash,
  parsePasswordHash,
  passwordLength,
  verifyPassword,
} from '../../../lambda/login/password';

/** Cheap parameters for tests that do not depend on the cost. */
const LOW = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

describe('hashPassword at the current parameters', () => {
  let stored: string;

  beforeAll(async () => {
    stored = await hashPassword('correct horse battery staple');
  });

  it('writes a PHC scrypt string with N=2^17, r=8, p=1', () => {
    expect(stored).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('stores a 16-byte salt and a 32-byte key', () => {
    const parsed = parsePasswordHash(stored);

    expect(parsed.salt).toHaveLength(16);
    expect(parsed.hash).toHaveLength(32);
    expect(parsed).toMatchObject({ algorithm: 'scrypt', ...CURRENT_SCRYPT_PARAMETERS });
  });

  it('verifies right and rejects wrong passwords', async () => {
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
  });

  it('needs no rehash', () => {
    expect(needsRehash(stored)).toBe(false);
  });
});

describe('hashPassword', () => {
  it('uses a new salt for every hash', async () => {
    const first = await hashPassword('same password', LOW);
    const second = await hashPassword('same password', LOW);

    expect(first).not.toBe(second);
    expect(await verifyPassword('same password', second)).toBe(true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!', LOW);

    expect(await verifyPassword('cafe\u0301 au lait!', stored)).toBe(true);
  });

  it('rejects parameters above the memory limit', async () => {
    await expect(hashPassword('x', { N: 2 ** 18, r: 8, p: 1, keyLength: 32 })).rejects.toThrow(InvalidPasswordHashError);
  });
});

describe('needsRehash', () => {
  it.each([
    ['a lower N', { ...CURRENT_SCRYPT_PARAMETERS, N: 2 ** 16 }],
    ['a lower r', { ...CURRENT_SCRYPT_PARAMETERS, r: 4 }],
    ['a shorter key', { ...CURRENT_SCRYPT_PARAMETERS, keyLength: 16 }],
  ])('is true for %s', (_name, parameters) => {
    const stored = formatPasswordHash({
      algorithm: 'scrypt',
      ...parameters,
      salt: Buffer.alloc(16, 1),
      hash: Buffer.alloc(parameters.keyLength, 2),
    });

    expect(needsRehash(stored)).toBe(true);
  });

  it('is true for a salt shorter than 16 bytes', () => {
    const stored = formatPasswordHash({
      algorithm: 'scrypt',
      ...CURRENT_SCRYPT_PARAMETERS,
      salt: Buffer.alloc(8, 1),
      hash: Buffer.alloc(32, 2),
    });

    expect(needsRehash(stored)).toBe(true);
  });

  it('is true for a hash it cannot parse', () => {
    expect(needsRehash('plain text')).toBe(true);
  });
});

describe('parsePasswordHash', () => {
  const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
  const key = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');

  it('round-trips with formatPasswordHash', () => {
    const text = `$scrypt$ln=14,r=8,p=1$${salt}$${key}`;

    expect(formatPasswordHash(parsePasswordHash(text))).toBe(text);
  });

  it.each([
    ['an empty string', ''],
    ['another algorithm', `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${key}`],
    ['a missing hash', `$scrypt$ln=14,r=8,p=1$${salt}`],
    ['r of 0', `$scrypt$ln=14,r=0,p=1$${salt}$${key}`],
    ['p of 17', `$scrypt$ln=14,r=8,p=17$${salt}$${key}`],
    ['N of 2^0', `$scrypt$ln=0,r=8,p=1$${salt}$${key}`],
    ['memory over 256 MiB', `$scrypt$ln=20,r=8,p=1$${salt}$${key}`],
    ['a 4-byte salt', `$scrypt$ln=14,r=8,p=1$AAAAAA$${key}`],
    ['an 8-byte key', `$scrypt$ln=14,r=8,p=1$${salt}$AAAAAAAAAAA`],
    ['characters outside base64', `$scrypt$ln=14,r=8,p=1$${salt}$${key}!`],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePasswordHash(text)).toThrow(InvalidPasswordHashError);
  });

  it('makes verifyPassword throw for an invalid hash', async () => {
    await expect(verifyPassword('x', '$scrypt$ln=30,r=8,p=1$AAAA$AAAA')).rejects.toThrow(InvalidPasswordHashError);
  });
});

describe('createDummyPasswordHash', () => {
  it('hashes with the current parameters', async () => {
    const dummy = await createDummyPasswordHash();

    expect(needsRehash(dummy)).toBe(false);
  });
});

describe('passwordLength', () => {
  it('counts code points', () => {
    expect(passwordLength('abc')).toBe(3);
    expect(passwordLength('🔑🔑')).toBe(2);
  });
});
