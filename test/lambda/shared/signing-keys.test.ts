import { KeysUnavailableError } from '../../../lambda/shared/errors';
import { SigningKeyCache, type SigningKeySet, type SigningKeySource } from '../../../lambda/shared/signing-keys';

/** A key source that counts loads and can be switched to fail; it stands for Secrets Manager or the file. */
class CountingSource implements SigningKeySource {
  public readonly description = 'counting test source';
  public loads = 0;
  public failing = false;
  public version = 1;

  public async load(): Promise<SigningKeySet> {
    this.loads++;
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failing) throw new Error('source unavailable');
    return { current: { kid: `v${this.version}`, secret: Buffer.alloc(32, this.version), createdAt: new Date(0) } };
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('SigningKeyCache', () => {
  let source: CountingSource;
  let clock: number;
  let cache: SigningKeyCache;

  beforeEach(() => {
    source = new CountingSource();
    clock = 1_000_000;
    cache = new SigningKeyCache(source, { refreshIntervalMs: 300_000, failureCooldownMs: 5_000, now: () => clock });
  });

  it('shares one load among concurrent first callers', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.get()));

    expect(results.every((keys) => keys.current.kid === 'v1')).toBe(true);
    expect(source.loads).toBe(1);
  });

  it('serves warm calls without loading again', async () => {
    await cache.get();
    clock += 299_000;

    for (let i = 0; i < 20; i++) await cache.get();

    expect(source.loads).toBe(1);
  });

  it('returns stale keys at once and refreshes in the background', async () => {
    await cache.get();
    source.version = 2;
    clock += 300_000;

    const stale = await cache.get();
    await settle();
    const fresh = await cache.get();

    expect(stale.current.kid).toBe('v1');
    expect(fresh.current.kid).toBe('v2');
    expect(source.loads).toBe(2);
  });

  it('keeps the loaded keys when a refresh fails', async () => {
    await cache.get();
    source.failing = true;
    clock += 300_000;

    await cache.get();
    await settle();
    const afterFailure = await cache.get();
    await settle();

    expect(afterFailure.current.kid).toBe('v1');
    // The failed refresh is not retried within the cooldown.
    expect(source.loads).toBe(2);
  });

  it('fails a cold load and retries only after the cooldown', async () => {
    source.failing = true;

    await expect(cache.get()).rejects.toBeInstanceOf(KeysUnavailableError);
    await expect(cache.get()).rejects.toBeInstanceOf(KeysUnavailableError);
    expect(source.loads).toBe(1);

    source.failing = false;
    clock += 5_000;
    expect((await cache.get()).current.kid).toBe('v1');
    expect(source.loads).toBe(2);
  });

  it('reloads for an unknown version only past the minimum age', async () => {
    await cache.get();
    source.version = 2;
    clock += 10_000;

    const tooSoon = await cache.reload(30_000);
    clock += 20_000;
    const reloaded = await cache.reload(30_000);

    expect(tooSoon.current.kid).toBe('v1');
    expect(reloaded.current.kid).toBe('v2');
    expect(source.loads).toBe(2);
  });
});
