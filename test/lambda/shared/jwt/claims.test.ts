import { TokenRejectedError } from '../../../../lambda/shared/errors';
import { assertAudience, assertTimeClaims } from '../../../../lambda/shared/jwt/claims';

const NOW = 1_800_000_000;
const TOLERANCE = 30;

const reasonOf = (check: () => void): string => {
  try {
    check();
    return 'accepted';
  } catch (error) {
    return error instanceof TokenRejectedError ? error.reason : String(error);
  }
};

const times = (claims: Record<string, unknown>, maxLifetimeSeconds?: number) =>
  reasonOf(() => assertTimeClaims(claims, { nowSeconds: NOW, clockToleranceSeconds: TOLERANCE, maxLifetimeSeconds }));

describe('assertTimeClaims', () => {
  // RFC 7519 section 4.1.4: the token must not be accepted on or after exp, here widened by the tolerance.
  it('accepts exp one second inside the tolerance', () => {
    expect(times({ exp: NOW - TOLERANCE + 1 })).toBe('accepted');
  });

  it('rejects exp at the tolerance edge', () => {
    expect(times({ exp: NOW - TOLERANCE })).toBe('expired');
  });

  // RFC 7519 section 4.1.5: the token must not be accepted before nbf.
  it('accepts nbf exactly at the tolerance edge', () => {
    expect(times({ exp: NOW + 60, nbf: NOW + TOLERANCE })).toBe('accepted');
  });

  it('rejects nbf one second past the tolerance', () => {
    expect(times({ exp: NOW + 60, nbf: NOW + TOLERANCE + 1 })).toBe('not_yet_valid');
  });

  it('accepts iat exactly at the tolerance edge', () => {
    expect(times({ exp: NOW + 60, iat: NOW + TOLERANCE })).toBe('accepted');
  });

  it('rejects iat one second past the tolerance', () => {
    expect(times({ exp: NOW + 60, iat: NOW + TOLERANCE + 1 })).toBe('not_yet_valid');
  });

  it('requires exp', () => {
    expect(times({ iat: NOW })).toBe('missing_claim');
  });

  it.each([
    ['a numeric string', '1800000060'],
    ['null', null],
    ['an array', [NOW + 60]],
    ['an object', { value: NOW + 60 }],
    ['a boolean', true],
  ])('rejects exp as %s', (_case, exp) => {
    expect(times({ exp })).toBe('invalid_claim');
  });

  it('accepts a fractional NumericDate', () => {
    expect(times({ exp: NOW + 0.5 + TOLERANCE })).toBe('accepted');
  });

  it('accepts a lifetime equal to the maximum and rejects one second more', () => {
    expect(times({ iat: NOW, exp: NOW + 900 }, 900)).toBe('accepted');
    expect(times({ iat: NOW, exp: NOW + 901 }, 900)).toBe('lifetime_exceeded');
  });

  it('requires iat when a maximum lifetime is set', () => {
    expect(times({ exp: NOW + 60 }, 900)).toBe('missing_claim');
  });
});

describe('assertAudience', () => {
  const audience = (aud: unknown, accepted: string[]) => reasonOf(() => assertAudience({ aud }, accepted));

  it('accepts a string aud equal to an accepted value', () => {
    expect(audience('api', ['other', 'api'])).toBe('accepted');
  });

  it('accepts an array aud containing an accepted value', () => {
    expect(audience(['account', 'api'], ['api'])).toBe('accepted');
  });

  it.each([
    ['a case difference', 'API'],
    ['a prefix', 'ap'],
    ['a trailing slash', 'api/'],
    ['an empty array', []],
  ])('rejects %s', (_case, aud) => {
    expect(audience(aud, ['api'])).toBe('audience_mismatch');
  });

  it('rejects an array with a non-string member', () => {
    expect(audience(['api', 7], ['api'])).toBe('invalid_claim');
  });
});
