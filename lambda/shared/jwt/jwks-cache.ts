import { KeysUnavailableError, TokenRejectedError } from '../errors';
import { logger } from '../logger';
import type { AsymmetricAlgorithm } from './algorithms';
import { DEFAULT_FETCH_OPTIONS, fetchJson, type FetchJsonOptions } from './fetch-json';
import { assertKeyFitsAlgorithm, type ImportedJwk, importPublicJwk, type Jwk } from './jwk';

export interface JwksCacheOptions {
  readonly fetchOptions?: FetchJsonOptions;
  /** Minimum time between fetches caused by an unknown `kid`, in milliseconds. @default 30000 */
  readonly kidRefetchCooldownMs?: number;
  /** After a failed fetch with no keys cached, how long requests fail at once instead of fetching, in ms. @default 5000 */
  readonly failureRetryMs?: number;
  /** Age after which cached keys are refreshed in the background while still in use, in ms. @default 3600000 */
  readonly refreshAfterMs?: number;
  /** Age after which cached keys are no longer used when every refresh has failed, in ms. @default 21600000 */
  readonly maxStaleMs?: number;
  readonly now?: () => number;
}

/**
 * Module-scope cache of one JSON Web Key Set. Keys are imported once. The first fetch can start at init, and
 * concurrent callers share it. An unknown `kid` causes at most one refetch per cooldown. A failed fetch never
 * replaces keys that worked, and those keep verifying for `maxStaleMs` after the last successful fetch.
 */
export class JwksCache {
  private keysById = new Map<string, ImportedJwk[]>();
  private keyCount = 0;
  private loaded = false;
  private lastSuccessAt = -Infinity;
  private lastAttemptAt = -Infinity;
  private lastFailureAt = -Infinity;
  private pending?: Promise<void>;
  private readonly options: Required<Omit<JwksCacheOptions, 'now'>>;
  private readonly now: () => number;

  public constructor(
    /** Returns the key set URL; for discovery this reads the issuer's metadata on first use. */
    private readonly resolveUri: () => Promise<URL>,
    options: JwksCacheOptions = {},
  ) {
    this.options = {
      fetchOptions: options.fetchOptions ?? DEFAULT_FETCH_OPTIONS,
      kidRefetchCooldownMs: options.kidRefetchCooldownMs ?? 30_000,
      failureRetryMs: options.failureRetryMs ?? 5_000,
      refreshAfterMs: options.refreshAfterMs ?? 3_600_000,
      maxStaleMs: options.maxStaleMs ?? 21_600_000,
    };
    this.now = options.now ?? Date.now;
  }

  /** Starts the first fetch without waiting for it. A failure is logged and retried on the next request. */
  public prefetch(): void {
    this.refresh().catch(() => undefined);
  }

  /** Returns the key that verifies a token with this `kid` and `alg`, fetching the key set when needed. */
  public async getKey(kid: string | undefined, alg: AsymmetricAlgorithm): Promise<ImportedJwk> {
    await this.ensureUsableKeys();

    let candidates = this.find(kid);
    if (candidates.length === 0) {
      await this.refetchForUnknownKid();
      candidates = this.find(kid);
    }
    if (candidates.length === 0) {
      throw new TokenRejectedError('kid_not_found', kid === undefined ? 'token has no kid' : 'token kid is not in the key set');
    }

    // A key set may publish one kid for several key types; the first key that fits the algorithm is used.
    let firstError: unknown;
    for (const candidate of candidates) {
      try {
        assertKeyFitsAlgorithm(candidate, alg);
        return candidate;
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }

  private find(kid: string | undefined): ImportedJwk[] {
    if (kid !== undefined) return this.keysById.get(kid) ?? [];
    // A token without kid is matched only when the key set leaves no choice.
    if (this.keyCount === 1) return [...this.keysById.values()][0];
    return [];
  }

  private async ensureUsableKeys(): Promise<void> {
    const age = this.now() - this.lastSuccessAt;
    if (this.loaded && age <= this.options.maxStaleMs) {
      if (age > this.options.refreshAfterMs && this.now() - this.lastAttemptAt > this.options.failureRetryMs) {
        this.refresh().catch(() => undefined);
      }
      return;
    }

    if (!this.pending && this.now() - this.lastFailureAt < this.options.failureRetryMs) {
      throw new KeysUnavailableError('key set is unavailable; the last fetch failed moments ago');
    }
    try {
      await this.refresh();
    } catch (error) {
      throw new KeysUnavailableError('key set could not be fetched', { cause: error });
    }
  }

  private async refetchForUnknownKid(): Promise<void> {
    if (!this.pending && this.now() - this.lastAttemptAt < this.options.kidRefetchCooldownMs) return;
    try {
      await this.refresh();
    } catch {
      // The keys already cached stay in use; the kid is reported as not found.
    }
  }

  private refresh(): Promise<void> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = this.now();
    let uri: URL | undefined;
    try {
      uri = await this.resolveUri();
      const document = await fetchJson(uri, this.options.fetchOptions);
      this.replaceKeys(document);
      this.lastSuccessAt = this.now();
      this.loaded = true;
    } catch (error) {
      this.lastFailureAt = this.now();
      logger.error('Key set fetch failed', { jwksUri: uri?.href, error: error as Error });
      throw error;
    }
  }

  private replaceKeys(document: unknown): void {
    const keys = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('key set has no keys array');

    const keysById = new Map<string, ImportedJwk[]>();
    let keyCount = 0;
    for (const jwk of keys as Jwk[]) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const imported = importPublicJwk(jwk);
      if (!imported) continue;
      const kid = typeof jwk.kid === 'string' ? jwk.kid : '';
      keysById.set(kid, [...(keysById.get(kid) ?? []), imported]);
      keyCount++;
    }
    // An empty result is treated as a failed fetch, so a broken endpoint cannot wipe keys that worked.
    if (keyCount === 0) throw new Error('key set contains no usable keys');

    this.keysById = keysById;
    this.keyCount = keyCount;
  }
}
