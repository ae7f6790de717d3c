import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { normalizeEmail } from '../../lambda/login/email';
import {
  createUser,
  InvalidUserInputError,
  parseScopeList,
  UserAlreadyExistsError,
  UserNotFoundError,
  UserStore,
  type UserSummary,
  validateEmail,
  validateNewPassword,
  validateScopes,
} from '../../lambda/login/user-store';
import { LOCAL_USERS_TABLE_NAME } from '../../lambda/shared/users-table';
import { localDataPaths } from '../local/data-dir';
import { ensureUsersTable, localDynamoDbClient, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';

/**
 * Manages the users of the login Lambda: `npm run users -- <command>`.
 *
 * Without `--table` it works on the local data folder of `npm start`. While `npm start` runs, the folder's
 * LevelDB is locked, so the CLI talks to the endpoint that `npm start` wrote into the folder. Otherwise it
 * opens the folder with its own embedded DynamoDB and closes it when done.
 */

export const USAGE = `Usage: npm run users -- <command> [arguments] [options]

Commands:
  add <email> [--scopes a,b]   Create a user with a new password and optional scopes.
  list [--json]                List users: email, user id, scopes, lock state, creation time.
  remove <email>               Delete a user.
  set-scopes <email> <a,b>     Replace a user's scopes; an empty list ("") removes them all.
  set-password <email>         Set a new password and clear failed-login counts and any lockout.
  unlock <email>               Clear failed-login counts and any lockout.
  help                         Print this text.

Passwords are read from stdin when it is piped (one line), otherwise from a prompt that does not echo.
They are never taken from the command line. New passwords have 12 to 128 characters.

Target:
  By default the users table of the local data folder (DATA_DIR, default .local), which \`npm start\` uses.
  --table <name>     Use a deployed DynamoDB table instead, with the standard AWS credential chain.
  --region <region>  AWS Region of --table (default: AWS_REGION or AWS_DEFAULT_REGION).

Exit status: 0 on success, 1 when the operation failed, 2 for invalid arguments or input,
130 when the password prompt is cancelled with Ctrl-C.
`;

type Command = 'add' | 'list' | 'remove' | 'set-scopes' | 'set-password' | 'unlock' | 'help';

/** A parsed command line. */
export interface UsersCommand {
  readonly command: Command;
  readonly email?: string;
  readonly scopes?: string[];
  readonly json: boolean;
  /** Deployed table and its Region; absent for the local data folder. */
  readonly deployed?: { readonly table: string; readonly region: string };
}

/** Invalid command-line arguments. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

/** Positional arguments after the command name, per command. */
const POSITIONALS: Record<Command, readonly string[]> = {
  add: ['email'],
  list: [],
  remove: ['email'],
  'set-scopes': ['email', 'scopes'],
  'set-password': ['email'],
  unlock: ['email'],
  help: [],
};

/** Parses the arguments after `users.ts`. Throws `UsageError` for anything it cannot run. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): UsersCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    if (argv.some((argument) => /^--?pass(word)?(=|$)/i.test(argument))) {
      throw new UsageError(
        'passwords are never read from the command line; pipe the password on stdin or type it at the prompt',
      );
    }
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;

  if (values.help) return { command: 'help', json: false };
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('missing command');
  if (!Object.prototype.hasOwnProperty.call(POSITIONALS, name)) throw new UsageError(`unknown command "${name}"`);
  const command = name as Command;

  const expected = POSITIONALS[command];
  if (rest.length !== expected.length) {
    const shape = [command, ...expected.map((argument) => `<${argument}>`)].join(' ');
    throw new UsageError(`"${command}" takes ${expected.length} argument(s): ${shape}`);
  }
  if (values.scopes !== undefined && command !== 'add') throw new UsageError('--scopes applies only to "add"');
  if (values.json && command !== 'list') throw new UsageError('--json applies only to "list"');

  const email = expected[0] === 'email' ? rest[0] : undefined;
  const scopeText = command === 'set-scopes' ? rest[1] : values.scopes;
  return {
    command,
    email,
    scopes: scopeText === undefined ? undefined : parseScopeList(scopeText),
    json: values.json ?? false,
    deployed: readDeployedTarget(values.table, values.region, env),
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      scopes: { type: 'string' },
      json: { type: 'boolean' },
      table: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function readDeployedTarget(
  table: string | undefined,
  region: string | undefined,
  env: NodeJS.ProcessEnv,
): UsersCommand['deployed'] {
  if (table === undefined) {
    if (region !== undefined) throw new UsageError('--region applies only with --table');
    return undefined;
  }
  if (table.trim() === '') throw new UsageError('--table needs a table name');
  const resolvedRegion = region?.trim() || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (!resolvedRegion) throw new UsageError('--table needs --region, or AWS_REGION set in the environment');
  return { table: table.trim(), region: resolvedRegion };
}

/** A users table opened for one command. */
interface OpenedStore {
  readonly store: UserStore;
  /** Location of the table (name and Region, or data folder), for messages. */
  readonly description: string;
  close(): Promise<void>;
}

async function openStore(command: UsersCommand): Promise<OpenedStore> {
  if (command.deployed) {
    const { table, region } = command.deployed;
    const client = new DynamoDBClient({ region });
    return {
      store: new UserStore(client, table),
      description: `table ${table} in ${region}`,
      close: async () => client.destroy(),
    };
  }

  const paths = localDataPaths();
  const runningEndpoint = await readRunningEndpoint(paths.dynamoDbEndpointFile);
  if (runningEndpoint) {
    const client = localDynamoDbClient(runningEndpoint);
    await ensureUsersTable(client, LOCAL_USERS_TABLE_NAME);
    return {
      store: new UserStore(client, LOCAL_USERS_TABLE_NAME),
      description: `the running npm start (${paths.dataDir})`,
      close: async () => client.destroy(),
    };
  }

  await mkdir(paths.dataDir, { recursive: true });
  // When LevelDB cannot open the folder, usually because another process holds its lock, dynalite throws
  // from a request callback where no caller can catch it. This handler reports that and exits.
  const onEmbeddedFailure = (error: Error): void => {
    process.stderr.write(
      `Error: the embedded DynamoDB on ${paths.dynamoDbPath} failed (${error.message}). ` +
        `If another process uses this folder, stop it. While npm start runs, the CLI uses the endpoint in ${paths.dynamoDbEndpointFile}.\n`,
    );
    process.exit(1);
  };
  process.on('uncaughtException', onEmbeddedFailure);
  const embedded = await startEmbeddedDynamoDb({ path: paths.dynamoDbPath });
  const client = localDynamoDbClient(embedded.endpoint);
  const close = async (): Promise<void> => {
    client.destroy();
    await embedded.close();
    process.off('uncaughtException', onEmbeddedFailure);
  };
  await ensureUsersTable(client, LOCAL_USERS_TABLE_NAME);
  return { store: new UserStore(client, LOCAL_USERS_TABLE_NAME), description: paths.dataDir, close };
}

/**
 * Returns the endpoint that a running `npm start` wrote to `endpointFile`, when the file exists, names a
 * loopback http URL, and the endpoint responds. Returns undefined otherwise, such as for a file left behind.
 */
async function readRunningEndpoint(endpointFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(endpointFile, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    process.stderr.write(`Ignoring ${endpointFile}: it does not contain a URL\n`);
    return undefined;
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    process.stderr.write(`Ignoring ${endpointFile}: ${text} is not an http URL on the loopback interface\n`);
    return undefined;
  }

  const probe = new DynamoDBClient({
    endpoint: text,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  try {
    await probe.send(new ListTablesCommand({ Limit: 1 }));
    return text;
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}

async function runCommand(command: UsersCommand, opened: OpenedStore, password: string | undefined): Promise<void> {
  const { store, description } = opened;
  const email = command.email ?? '';
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);

  switch (command.command) {
    case 'add': {
      const user = await createUser(store, { email, password: password ?? '', scopes: command.scopes });
      out(`Added ${user.email} (user id ${user.userId}, scopes: ${formatScopes(user.scopes)}) to ${description}`);
      return;
    }
    case 'list': {
      const users = await store.listUsers();
      if (command.json) out(JSON.stringify(users, null, 2));
      else out(formatUserTable(users, description));
      return;
    }
    case 'remove':
      await store.deleteUser(email);
      out(`Removed ${normalizeEmail(email)} from ${description}`);
      return;
    case 'set-scopes':
      await store.setScopes(email, command.scopes ?? []);
      out(`Set the scopes of ${normalizeEmail(email)} to: ${formatScopes(command.scopes ?? [])}`);
      return;
    case 'set-password':
      await store.setPassword(email, password ?? '');
      out(`Set a new password for ${normalizeEmail(email)} and cleared any lockout`);
      return;
    case 'unlock':
      await store.unlockUser(email);
      out(`Unlocked ${normalizeEmail(email)}`);
      return;
    case 'help':
      out(USAGE);
      return;
  }
}

function formatScopes(scopes: readonly string[]): string {
  return scopes.length > 0 ? scopes.join(' ') : '(none)';
}

function formatUserTable(users: readonly UserSummary[], description: string): string {
  if (users.length === 0) return `No users in ${description}`;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const rows = users.map((user) => [
    user.email,
    user.userId,
    formatScopes(user.scopes),
    user.lockedUntil !== undefined && user.lockedUntil > nowSeconds
      ? `locked until ${new Date(user.lockedUntil * 1000).toISOString()}`
      : user.failedAttempts > 0
        ? `active, ${user.failedAttempts} failed login(s)`
        : 'active',
    user.createdAt,
  ]);
  const header = ['EMAIL', 'USER ID', 'SCOPES', 'STATUS', 'CREATED'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const lines = [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  return lines.join('\n');
}

/** Largest password input read from stdin, in bytes; more is rejected rather than truncated. */
const MAX_STDIN_BYTES = 64 * 1024;

/** Reads a new password: one line from piped stdin, or typed twice at a prompt without echo. */
async function readNewPassword(email: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptWithoutEcho(`New password for ${email}: `);
    validateNewPassword(first);
    const second = await promptWithoutEcho('Repeat the password: ');
    if (first !== second) throw new InvalidUserInputError('password', 'the two passwords differ');
    return first;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new InvalidUserInputError('password', `stdin has more than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') {
    throw new InvalidUserInputError('password', 'no password on stdin; pipe one line, or run in a terminal to be prompted');
  }
  if (/[\r\n]/.test(password)) {
    throw new InvalidUserInputError('password', 'the password on stdin must be a single line');
  }
  validateNewPassword(password);
  return password;
}

class PromptCancelledError extends Error {
  public override readonly name = 'PromptCancelledError';

  public constructor() {
    super('cancelled at the password prompt');
  }
}

/** Reads one line from a terminal in raw mode, so the typed characters are not shown. Ctrl-C cancels. */
function promptWithoutEcho(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode first: a character typed as soon as the prompt shows must not be echoed.
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  process.stderr.write(prompt);

  return new Promise((resolve, reject) => {
    let input = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(input);
    };
    const onData = (chunk: string): void => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n' || character === '\u0004') return finish();
        if (character === '\u0003') return finish(new PromptCancelledError());
        if (character === '\u007f' || character === '\b') input = [...input].slice(0, -1).join('');
        else input += character;
      }
    };
    stdin.on('data', onData);
  });
}

/** Runs the CLI and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: UsersCommand;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    return reportError(error);
  }
  if (command.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  let opened: OpenedStore | undefined;
  try {
    // Input is checked before the table is opened, so a typo costs no database start.
    if (command.command === 'add') validateEmail(command.email ?? '');
    if (command.scopes) validateScopes(command.scopes);
    const needsPassword = command.command === 'add' || command.command === 'set-password';
    const password = needsPassword ? await readNewPassword(command.email ?? '') : undefined;

    opened = await openStore(command);
    await runCommand(command, opened, password);
    return 0;
  } catch (error) {
    return reportError(error);
  } finally {
    await opened?.close();
  }
}

/** Prints an error to stderr and returns the exit status for it. */
function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`Error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (error instanceof InvalidUserInputError) {
    process.stderr.write(`Error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof PromptCancelledError) {
    process.stderr.write('Cancelled\n');
    return 130;
  }
  if (error instanceof UserAlreadyExistsError || error instanceof UserNotFoundError) {
    process.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
  const cause = (error as Error).cause;
  process.stderr.write(
    `Error: ${(error as Error).message}${cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ''}\n`,
  );
  return 1;
}

if (require.main === module) {
  // The AWS SDK warns on Node.js 20 about its future releases, which the pinned version is not.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
