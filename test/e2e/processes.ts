import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root, the working directory of `npm start`. */
export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');


/** Output of a child process, with a way to wait for a line that has not arrived yet. */
class OutputBuffer {
  public text = '';
  private waiters: Array<{ pattern: RegExp; from: number; resolve: (match: RegExpMatchArray) => void }> = [];

  public append(chunk: string): void {
    this.text += chunk;
    this.waiters = this.waiters.filter((waiter) => {
      const match = this.text.slice(waiter.from).match(waiter.pattern);
      if (match) waiter.resolve(match);
      return !match;
    });
  }

  /** Resolves with the first match of `pattern` in the output from offset `from` on, so far or still to come. */
  public waitFor(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
    const match = this.text.slice(from).match(pattern);
    if (match) return Promise.resolve(match);
    return new Promise((resolve) => this.waiters.push({ pattern, from, resolve }));
  }
}

/** A child process with its collected output and exit. */
export class ChildRun {
  public readonly stdout = new OutputBuffer();
  public readonly stderr = new OutputBuffer();
  public readonly exited: Promise<number | null>;

  public constructor(public readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.stdout.append(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.append(chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * Resolves with the match once stdout, from offset `from` on, contains `pattern`. Rejects when the process
   * exits first.
   */
  public async waitForStdout(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
    const exitedFirst = this.exited.then((code) => {
      throw new Error(`process exited with code ${code} before printing ${pattern}\nstdout:\n${this.stdout.text}\nstderr:\n${this.stderr.text}`);
    });
    return Promise.race([this.stdout.waitFor(pattern, from), exitedFirst]);
  }

  /** Kills the child's whole process group; for children spawned with `detached`. */
  public killGroup(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }

  /** Sends `signal` and returns the exit code. */
  public async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Environment of a child: PATH and HOME from this process plus `env`, so no setting leaks in from the shell. */
function childEnvironment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) base[name] = value;
  }
  return base;
}

/**
 * Runs `infra/local/start.ts` with the tsx loader, the command `npm start` runs, with PORT=0 unless `env`
 * sets it. With `viaNpm`, the child is `npm start` itself.
 */
export function spawnLocalGateway(env: Record<string, string | undefined>, viaNpm = false): ChildRun {
  const [command, args] = viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'infra/local/start.ts']];
  const child = spawn(command, args, {
    cwd: REPOSITORY_ROOT,
    env: childEnvironment({ PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // npm gets a process group of its own, so a test can still end everything npm started.
    detached: viaNpm,
  });
  return new ChildRun(child);
}

export interface LocalGateway {
  readonly run: ChildRun;
  /** `http://127.0.0.1:<port>` as printed. */
  readonly url: string;
  readonly dataDir: string;
}

/** Starts `npm start` in a fresh temporary DATA_DIR (or `env.DATA_DIR`) and waits until it is ready. */
export async function startLocalGateway(
  env: Record<string, string | undefined> = {},
  viaNpm = false,
): Promise<LocalGateway> {
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'jwt-authorizer-e2e-')));
  const run = spawnLocalGateway({ ...env, DATA_DIR: dataDir }, viaNpm);
  const [, url] = await run.waitForStdout(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  await run.waitForStdout(/Press Ctrl\+C to stop\./);
  return { run, url, dataDir };
}

/** Stops a gateway started by `startLocalGateway`, returns its exit code, and removes its DATA_DIR. */
export async function stopLocalGateway(gateway: LocalGateway | undefined, keepData = false): Promise<number | null> {
  if (!gateway) return null;
  const code = await gateway.run.stop('SIGTERM');
  if (!keepData) await rm(gateway.dataDir, { recursive: true, force: true });
  return code;
}

/** What the OpenID provider fixture prints when it is ready. */
export interface OidcProviderInfo {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  readonly otherAudience: string;
  readonly redirectUri: string;
}

/** Starts `test/fixtures/oidc-provider.mjs` and returns its first stdout line. */
export async function startOidcProvider(): Promise<{ run: ChildRun; info: OidcProviderInfo }> {
  const child = spawn(process.execPath, [join(REPOSITORY_ROOT, 'test', 'fixtures', 'oidc-provider.mjs')], {
    cwd: REPOSITORY_ROOT,
    env: childEnvironment({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = new ChildRun(child);
  const [line] = await run.waitForStdout(/^\{.*\}$/m);
  return { run, info: JSON.parse(line) as OidcProviderInfo };
}
