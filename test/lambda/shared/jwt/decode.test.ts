import fc from 'fast-check';

import { TokenRejectedError } from '../../../../lambda/shared/errors';
import { decomposeUnverifiedJwt, extractBearerToken } from '../../../../lambda/shared/jwt/decode';
import { base64url } from '../../../helpers/tokens';

describe('decomposeUnverifiedJwt', () => {
  it('returns header, payload, signing input and signature bytes', () => {
    const token = `${base64url({ alg: 'RS256', kid: 'k1' })}.${base64url({ sub: 'u' })}.${Buffer.from([1, 2, 3]).toString('base64url')}`;

    const decomposed = decomposeUnverifiedJwt(token);

    expect(decomposed.header).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(decomposed.payload).toEqual({ sub: 'u' });
    expect(decomposed.signingInput).toBe(token.slice(0, token.lastIndexOf('.')));
    expect([...decomposed.signature]).toEqual([1, 2, 3]);
  });

  it.each([
    ['a header without alg', { kid: 'k1' }],
    ['a numeric alg', { alg: 256 }],
    ['a numeric kid', { alg: 'RS256', kid: 5 }],
  ])('rejects %s as malformed', (_case, header) => {
    expect(() => decomposeUnverifiedJwt(`${base64url(header)}.${base64url({})}.c2ln`)).toThrow(TokenRejectedError);
  });

  it('rejects an empty crit list as unsupported', () => {
    const error = (() => {
      try {
        decomposeUnverifiedJwt(`${base64url({ alg: 'RS256', crit: [] })}.${base64url({})}.c2ln`);
      } catch (caught) {
        return caught as TokenRejectedError;
      }
      return undefined;
    })();

    expect(error?.reason).toBe('unsupported_crit');
  });

  it('rejects tokens longer than the limit', () => {
    const token = `${base64url({ alg: 'RS256' })}.${base64url({ pad: 'x'.repeat(9000) })}.c2ln`;

    expect(() => decomposeUnverifiedJwt(token)).toThrow('not a JWS compact token');
  });

  it('throws only TokenRejectedError for arbitrary input', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'AZaz09-_=+/.'.split('')), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(segment, segment, segment).map((parts) => parts.join('.'))), (input) => {
        try {
          decomposeUnverifiedJwt(input);
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
        }
      }),
    );
  });

  it('throws only TokenRejectedError for arbitrary JSON segments', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (header, payload) => {
        try {
          decomposeUnverifiedJwt(`${base64url(header)}.${base64url(payload)}.c2ln`);
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
        }
      }),
    );
  });
});

describe('extractBearerToken', () => {
  it('rejects arbitrary header values without throwing anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        try {
          const token = extractBearerToken(value);
          expect(value.toLowerCase().startsWith('bearer ')).toBe(true);
          expect(token.split('.')).toHaveLength(3);
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
        }
      }),
    );
  });
});

describe('base64url canonical form', () => {
  it('accepts exactly the segments that re-encode to themselves', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 1, maxLength: 12 }), (signature) => {
        const token = `${base64url({ alg: 'RS256' })}.${base64url({})}.${signature}`;
        const canonical = Buffer.from(signature, 'base64url').toString('base64url') === signature;
        let accepted = true;
        try {
          decomposeUnverifiedJwt(token);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });
});
