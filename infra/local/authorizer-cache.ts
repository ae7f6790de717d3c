import type { AuthorizerGrant } from './authorizer-result';

/** API Gateway's default authorizer result TTL, in seconds. */
export const DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS = 300;

/** Upper bound of API Gateway's authorizer result TTL, in seconds. */
export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;

/** Entries kept at most; the oldest are dropped first. Bounds memory under a stream of distinct tokens. */
const MAX_ENTRIES = 10_000;

/**
 * API Gateway's authorizer result cache: the validated result per identity source value (the whole
 * `Authorization` header), reused on every route of the API until the TTL ends. Only returned policies are
 * stored; a 401 or an authorizer failure is not.
 */
export class AuthorizerResultCache {
  private readonly entries = new Map<string, { grant: AuthorizerGrant; expiresAt: number }>();

  public constructor(
    /** Seconds; 0 disables caching. */
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_AUTHORIZER_CACHE_TTL_SECONDS) {
      throw new RangeError(
        `authorizer cache TTL must be a whole number of seconds from 0 to ${MAX_AUTHORIZER_CACHE_TTL_SECONDS}, ` +
          `got ${ttlSeconds}`,
      );
    }
  }

  public get(identity: string): AuthorizerGrant | undefined {
    const entry = this.entries.get(identity);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(identity);
      return undefined;
    }
    return entry.grant;
  }

  public set(identity: string, grant: AuthorizerGrant): void {
    if (this.ttlSeconds === 0) return;
    this.entries.delete(identity);
    this.entries.set(identity, { grant, expiresAt: this.now() + this.ttlSeconds * 1000 });
    // A Map iterates in insertion order, so the first key is the oldest entry.
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
