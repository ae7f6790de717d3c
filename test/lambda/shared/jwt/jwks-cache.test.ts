import { KeysUnavailableError } from '../../../../lambda/shared/errors';
import { discoverJwksUri } from '../../../../lambda/shared/jwt/discovery';
import { JwksCache } from '../../../../lambda/shared/jwt/jwks-cache';
import { KeyEndpoint } from '../../../helpers/jwks-server';
import { generateTestKey, type TestKey } from '../../../helpers/tokens';
import { rejectionReason } from '../../../helpers/rejection-reason';

describe('JwksCache', () => {
  let endpoint: KeyEndpoint;
  let keyA: TestKey;
  let keyB: TestKey;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    keyA = generateTestKey('ES256', 'key-a');
    keyB = generateTestKey('ES256', 'key-b');
    endpoint = await new KeyEndpoint().start();
  });

  beforeEach(() => {
    clock = 1_000_000;
    endpoint.mode = 'up';
    endpoint.requests.clear();
    endpoint.jwks = { keys: [keyA.jwk] };
  });

  afterAll(() => endpoint.stop());

  const newCache = (options: ConstructorParameters<typeof JwksCache>[1] = {}) =>
    new JwksCache(() => Promise.resolve(new URL(endpoint.jwksUri)), { now, ...options });

  it('fetches once and serves warm lookups from memory', async () => {
    const cache = newCache();

    for (let i = 0; i < 50; i++) await cache.getKey('key-a', 'ES256');

    expect(endpoint.count()).toBe(1);
  });

  it('shares one fetch among concurrent cold lookups', async () => {
    const cache = newCache();
    cache.prefetch();

    const keys = await Promise.all(Array.from({ length: 20 }, () => cache.getKey('key-a', 'ES256')));

    expect(keys.every((key) => key.jwk.kid === 'key-a')).toBe(true);
    expect(endpoint.count()).toBe(1);
  });

  it('refetches once for a key added by rotation', async () => {
    const cache = newCache();
    await cache.getKey('key-a', 'ES256');
    endpoint.jwks = { keys: [keyA.jwk, keyB.jwk] };
    clock += 31_000;

    const [first, second] = await Promise.all([cache.getKey('key-b', 'ES256'), cache.getKey('key-b', 'ES256')]);

    expect(first.jwk.kid).toBe('key-b');
    expect(second.jwk.kid).toBe('key-b');
    expect(endpoint.count()).toBe(2);
  });

  it('limits a flood of random kids to one refetch per cooldown', async () => {
    const cache = newCache({ kidRefetchCooldownMs: 30_000 });
    await cache.getKey('key-a', 'ES256');
    clock += 30_000;

    const reasons = await Promise.all(Array.from({ length: 200 }, (_, i) => rejectionReason(cache.getKey(`random-${i}`, 'ES256'))));
    clock += 29_000;
    const later = await rejectionReason(cache.getKey('random-later', 'ES256'));

    expect(new Set(reasons)).toEqual(new Set(['kid_not_found']));
    expect(later).toBe('kid_not_found');
    expect(endpoint.count()).toBe(2);
  });

  it('refetches for an unknown kid again after the cooldown', async () => {
    const cache = newCache({ kidRefetchCooldownMs: 30_000 });
    await cache.getKey('key-a', 'ES256');
    clock += 30_000;
    await rejectionReason(cache.getKey('random-1', 'ES256'));
    clock += 30_000;

    await rejectionReason(cache.getKey('random-2', 'ES256'));

    expect(endpoint.count()).toBe(3);
  });

  it('keeps verifying with cached keys while the endpoint is down', async () => {
    const cache = newCache({ refreshAfterMs: 60_000, maxStaleMs: 600_000 });
    await cache.getKey('key-a', 'ES256');
    endpoint.mode = 'error';
    clock += 120_000;

    const key = await cache.getKey('key-a', 'ES256');
    // The stale keys trigger one background refresh, which fails against the endpoint.
    for (let i = 0; i < 100 && endpoint.count() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await cache.getKey('key-a', 'ES256');

    expect(key.jwk.kid).toBe('key-a');
    expect(again.jwk.kid).toBe('key-a');
    expect(endpoint.count()).toBe(2);
  });

  it('stops using cached keys past the stale bound', async () => {
    const cache = newCache({ refreshAfterMs: 60_000, maxStaleMs: 600_000 });
    await cache.getKey('key-a', 'ES256');
    endpoint.mode = 'error';
    clock += 600_001;

    expect(await rejectionReason(cache.getKey('key-a', 'ES256'))).toBe('keys_unavailable');
  });

  it('uses fresh keys after the endpoint recovers', async () => {
    const cache = newCache({ refreshAfterMs: 60_000, maxStaleMs: 600_000, failureRetryMs: 5_000 });
    await cache.getKey('key-a', 'ES256');
    endpoint.mode = 'error';
    clock += 600_001;
    await rejectionReason(cache.getKey('key-a', 'ES256'));
    endpoint.mode = 'up';
    clock += 5_000;

    expect((await cache.getKey('key-a', 'ES256')).jwk.kid).toBe('key-a');
  });

  it('never caches a failed cold fetch as success', async () => {
    const cache = newCache({ failureRetryMs: 5_000 });
    endpoint.mode = 'error';
    const first = await rejectionReason(cache.getKey('key-a', 'ES256'));
    const duringRetryWait = await rejectionReason(cache.getKey('key-a', 'ES256'));
    endpoint.mode = 'up';
    clock += 5_000;

    const afterRecovery = await cache.getKey('key-a', 'ES256');

    expect(first).toBe('keys_unavailable');
    expect(duringRetryWait).toBe('keys_unavailable');
    expect(afterRecovery.jwk.kid).toBe('key-a');
    expect(endpoint.count()).toBe(2);
  });

  it('keeps the old keys when a refetch returns no usable key', async () => {
    const cache = newCache();
    await cache.getKey('key-a', 'ES256');
    endpoint.jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'key-x' }] };
    clock += 31_000;

    await rejectionReason(cache.getKey('key-x', 'ES256'));

    expect((await cache.getKey('key-a', 'ES256')).jwk.kid).toBe('key-a');
  });

  it.each([
    ['a redirect', 'redirect'],
    ['an oversized body', 'huge'],
    ['invalid JSON', 'invalid-json'],
    ['a reset connection', 'reset'],
    ['an HTTP error', 'error'],
  ] as const)('treats %s as unavailable', async (_case, mode) => {
    endpoint.mode = mode;

    const error = await newCache()
      .getKey('key-a', 'ES256')
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(KeysUnavailableError);
  });

  it('does not follow a redirect', async () => {
    endpoint.mode = 'redirect';

    await rejectionReason(newCache().getKey('key-a', 'ES256'));

    expect(endpoint.count('/elsewhere')).toBe(0);
  });

  it('times out a hanging endpoint', async () => {
    endpoint.mode = 'hang';
    const cache = newCache({ fetchOptions: { timeoutMs: 200, maxBytes: 65536 } });

    expect(await rejectionReason(cache.getKey('key-a', 'ES256'))).toBe('keys_unavailable');
  });

  it('matches a token without kid only to a single-key set', async () => {
    const single = newCache();
    expect((await single.getKey(undefined, 'ES256')).jwk.kid).toBe('key-a');

    endpoint.jwks = { keys: [keyA.jwk, keyB.jwk] };
    expect(await rejectionReason(newCache().getKey(undefined, 'ES256'))).toBe('kid_not_found');
  });
});

describe('discoverJwksUri', () => {
  let endpoint: KeyEndpoint;

  beforeEach(async () => {
    endpoint = await new KeyEndpoint().start();
  });
  afterEach(() => endpoint.stop());

  it('reads jwks_uri once per container', async () => {
    const resolve = discoverJwksUri(endpoint.issuer);

    const first = await resolve();
    const second = await resolve();

    expect(first.href).toBe(endpoint.jwksUri);
    expect(second.href).toBe(endpoint.jwksUri);
    expect(endpoint.count('/.well-known/openid-configuration')).toBe(1);
  });

  it('appends the well-known path after an issuer trailing slash', async () => {
    endpoint.issuerPath = '/';

    const uri = await discoverJwksUri(endpoint.issuer)();

    expect(endpoint.issuer.endsWith('/')).toBe(true);
    expect(uri.href).toBe(endpoint.jwksUri);
  });

  it('rejects a document whose issuer differs', async () => {
    endpoint.discoveryIssuer = `${endpoint.issuer}/`;

    await expect(discoverJwksUri(endpoint.issuer)()).rejects.toThrow('issuer does not equal ISSUER_URL');
  });

  it('retries after a failed read', async () => {
    endpoint.mode = 'error';
    const resolve = discoverJwksUri(endpoint.issuer);
    await expect(resolve()).rejects.toThrow('HTTP 503');
    endpoint.mode = 'up';

    expect((await resolve()).href).toBe(endpoint.jwksUri);
  });
});
