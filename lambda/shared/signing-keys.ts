import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { KeysUnavailableError } from './errors';
import { logger } from './logger';

/**
 * The HS256 secret shared by the login Lambda (signs) and the authorizer (verifies).
 *
 * In AWS the secret lives in Secrets Manager: the version staged `AWSCURRENT` signs new tokens and the one
 * staged `AWSPREVIOUS` still verifies while a rotation settles. Locally the same two versions live in a JSON
 * file under the data folder. The token header's `kid` names the version.
 */

/** Minimum secret length in bytes: HS256 needs a key at least as long as its 256-bit output. */
export const MIN_SECRET_BYTES = 32;

export interface SigningKeyVersion {
  /** Version id, written to the token header as `kid`. */
  readonly kid: string;
  readonly secret: Buffer;
  /** When this version was created, which for the current version is when the last rotation happened. */
  readonly createdAt: Date;
}

export interface SigningKeySet {
  readonly current: SigningKeyVersion;
  readonly previous?: SigningKeyVersion;
}

export interface SigningKeySource {
  /** Description of the key origin for logs, without secret material. */
  readonly description: string;
  load(): Promise<SigningKeySet>;
}

function toVersion(kid: string, secretText: string, createdAt: Date, origin: string): SigningKeyVersion {
  const secret = Buffer.from(secretText, 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new KeysUnavailableError(
      `signing secret version ${kid} from ${origin} is ${secret.length} bytes; HS256 needs at least ${MIN_SECRET_BYTES}`,
    );
  }
  return { kid, secret, createdAt };
}

/** Reads the `AWSCURRENT` and `AWSPREVIOUS` versions of a Secrets Manager secret. */
export class SecretsManagerKeySource implements SigningKeySource {
  public readonly description: string;

  public constructor(private readonly secretId: string) {
    this.description = `Secrets Manager secret ${secretId}`;
  }

  public async load(): Promise<SigningKeySet> {
    // Loaded on first use so that a deployment without a secret never pays for the SDK at cold start.
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = new sdk.SecretsManagerClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
    });

    const readStage = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<SigningKeyVersion | undefined> => {
      try {
        const output = await client.send(
          new sdk.GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage }),
        );
        if (!output.VersionId || output.SecretString === undefined) {
          throw new KeysUnavailableError(`secret ${this.secretId} stage ${stage} has no string value`);
        }
        return toVersion(output.VersionId, output.SecretString, output.CreatedDate ?? new Date(0), this.description);
      } catch (error) {
        // A secret that was never rotated has no AWSPREVIOUS stage.
        if (stage === 'AWSPREVIOUS' && (error as { name?: string }).name === 'ResourceNotFoundException') {
          return undefined;
        }
        throw error;
      }
    };

    try {
      const [current, previous] = await Promise.all([readStage('AWSCURRENT'), readStage('AWSPREVIOUS')]);
      return { current: current!, previous };
    } catch (error) {
      if (error instanceof KeysUnavailableError) throw error;
      throw new KeysUnavailableError(`reading ${this.description} failed`, { cause: error });
    } finally {
      client.destroy();
    }
  }
}

interface KeyFileContent {
  versions: Array<{ kid: string; secret: string; createdAt: string }>;
}

/** Reads signing keys from a JSON file: `versions[0]` is current, `versions[1]` previous. */
export class FileKeySource implements SigningKeySource {
  public readonly description: string;

  public constructor(private readonly path: string) {
    this.description = `key file ${path}`;
  }

  public async load(): Promise<SigningKeySet> {
    let content: KeyFileContent;
    try {
      content = JSON.parse(await readFile(this.path, 'utf8')) as KeyFileContent;
    } catch (error) {
      throw new KeysUnavailableError(`reading ${this.description} failed`, { cause: error });
    }
    const versions = Array.isArray(content?.versions) ? content.versions : [];
    if (versions.length === 0) {
      throw new KeysUnavailableError(`${this.description} contains no key versions`);
    }
    const [current, previous] = versions.map((version) =>
      toVersion(String(version.kid), String(version.secret), new Date(version.createdAt), this.description),
    );
    return { current, previous };
  }
}

/** Creates the local key file with one fresh 256-bit version, unless it already exists. */
export async function ensureKeyFile(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return false;
  } catch {
    await writeKeyFile(path, { versions: [newFileVersion()] });
    return true;
  }
}

/** Adds a new current version to the local key file and keeps the old current one as previous. */
export async function rotateKeyFile(path: string): Promise<void> {
  const content = JSON.parse(await readFile(path, 'utf8')) as KeyFileContent;
  await writeKeyFile(path, { versions: [newFileVersion(), ...content.versions.slice(0, 1)] });
}

function newFileVersion(): KeyFileContent['versions'][number] {
  return { kid: randomUUID(), secret: randomBytes(32).toString('base64url'), createdAt: new Date().toISOString() };
}

async function writeKeyFile(path: string, content: KeyFileContent): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Write then rename, so a reader never sees a half-written file.
  const temporaryPath = `${path}.${process.pid}.tmp`;
  await writeFile(temporaryPath, JSON.stringify(content, null, 2), { mode: 0o600 });
  await rename(temporaryPath, path);
}

/**
 * Picks the key source from the environment: `SIGNING_SECRET_ARN` (Secrets Manager) wins over
 * `SIGNING_KEY_FILE` (local file). Returns undefined when neither is set, which disables local tokens.
 */
export function signingKeySourceFromEnv(env: NodeJS.ProcessEnv = process.env): SigningKeySource | undefined {
  const secretArn = env.SIGNING_SECRET_ARN?.trim();
  if (secretArn) return new SecretsManagerKeySource(secretArn);
  const keyFile = env.SIGNING_KEY_FILE?.trim();
  if (keyFile) return new FileKeySource(keyFile);
  return undefined;
}

export interface SigningKeyCacheOptions {
  /** How long loaded keys are used before the next load, in milliseconds. */
  readonly refreshIntervalMs: number;
  /** After a failed load, how long `get()` fails at once instead of calling the source again, in milliseconds. */
  readonly failureCooldownMs?: number;
  readonly now?: () => number;
}

/**
 * Module-scope cache of a `SigningKeySource`. Concurrent callers share one load. When a refresh fails, the
 * keys already loaded stay in use, so a Secrets Manager outage does not stop tokens that verified before it.
 */
export class SigningKeyCache {
  private keys?: SigningKeySet;
  private loadedAt = 0;
  private failedAt = -Infinity;
  private lastError?: unknown;
  private pending?: Promise<SigningKeySet>;
  private readonly now: () => number;

  public constructor(
    public readonly source: SigningKeySource,
    private readonly options: SigningKeyCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Starts a load without waiting for it; a failure is logged and retried by the next `get()`. */
  public prefetch(): void {
    this.get().catch(() => undefined);
  }

  /**
   * Loads again unless the keys are younger than `minAgeMs`. Used when a token names an unknown version,
   * which happens when another function has read a rotated secret first.
   */
  public async reload(minAgeMs: number): Promise<SigningKeySet> {
    if (this.keys && this.now() - this.loadedAt < minAgeMs) return this.keys;
    return this.load();
  }

  /**
   * Returns the cached keys. Stale keys are returned at once while a refresh runs in the background, so only
   * the first load waits on the key source (besides `reload`, which callers await on purpose).
   */
  public async get(): Promise<SigningKeySet> {
    if (this.keys) {
      if (this.now() - this.loadedAt >= this.options.refreshIntervalMs) this.load().catch(() => undefined);
      return this.keys;
    }
    return this.load();
  }

  private load(): Promise<SigningKeySet> {
    const now = this.now();
    if (this.pending) return this.pending;
    if (now - this.failedAt < (this.options.failureCooldownMs ?? 5000)) {
      if (this.keys) return Promise.resolve(this.keys);
      return Promise.reject(
        new KeysUnavailableError(`signing keys from ${this.source.description} are unavailable`, {
          cause: this.lastError,
        }),
      );
    }

    this.pending = this.source
      .load()
      .then((keys) => {
        this.keys = keys;
        this.loadedAt = this.now();
        return keys;
      })
      .catch((error: unknown) => {
        this.failedAt = this.now();
        this.lastError = error;
        if (this.keys) {
          logger.warn('Signing key refresh failed; using the keys loaded before', {
            source: this.source.description,
            error: error as Error,
          });
          return this.keys;
        }
        logger.error('Signing key load failed', { source: this.source.description, error: error as Error });
        throw error instanceof KeysUnavailableError
          ? error
          : new KeysUnavailableError(`loading signing keys from ${this.source.description} failed`, { cause: error });
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
