import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { parseCommandLine, UsageError } from '../../../infra/cli/users';
import { localDataPaths } from '../../../infra/local/data-dir';
import {
  type EmbeddedDynamoDb,
  ensureUsersTable,
  localDynamoDbClient,
  startEmbeddedDynamoDb,
} from '../../../infra/local/embedded-dynamodb';
import { verifyPassword } from '../../../lambda/login/password';
import { UserStore } from '../../../lambda/login/user-store';
import { LOCAL_USERS_TABLE_NAME } from '../../../lambda/shared/users-table';

const REPOSITORY_ROOT = resolve(__dirname, '../../..');
const PASSWORD = 'correct horse battery staple';

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the users CLI as `npm run users` does, with `input` piped on stdin (an empty stdin when absent). */
function runCli(args: string[], options: { input?: string; env?: Record<string, string | undefined> } = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: undefined,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];

  return new Promise<CliResult>((resolvePromise, reject) => {
    const child = spawn('npx', ['tsx', 'infra/cli/users.ts', ...args], {
      cwd: REPOSITORY_ROOT,
      env: env as NodeJS.ProcessEnv,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Opens the users table of a data folder with an embedded DynamoDB, for checks from the test. */
async function openDataFolder(dataDir: string): Promise<{ store: UserStore; dynamoDb: EmbeddedDynamoDb; close(): Promise<void> }> {
  const dynamoDb = await startEmbeddedDynamoDb({ path: localDataPaths(dataDir).dynamoDbPath });
  const client = localDynamoDbClient(dynamoDb.endpoint);
  await ensureUsersTable(client, LOCAL_USERS_TABLE_NAME);
  return {
    store: new UserStore(client, LOCAL_USERS_TABLE_NAME),
    dynamoDb,
    close: async () => {
      client.destroy();
      await dynamoDb.close();
    },
  };
}

describe('users CLI on the local data folder', () => {
  let dataDir: string;
  const cli = (args: string[], input?: string) => runCli(args, { input, env: { DATA_DIR: dataDir } });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'users-cli-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds a user with a piped password and scopes', async () => {
    const result = await cli(['add', 'Dana@Example.com', '--scopes', 'read,admin'], `${PASSWORD}\n`);

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Added dana@example\.com \(user id [0-9a-f-]{36}, scopes: read admin\)/);
  });

  it('lists users as a table and as JSON', async () => {
    const table = await cli(['list']);
    const json = await cli(['list', '--json']);

    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^EMAIL\s+USER ID\s+SCOPES\s+STATUS\s+CREATED\n/);
    expect(table.stdout).toMatch(/dana@example\.com\s+[0-9a-f-]{36}\s+read admin\s+active/);
    const users = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'dana@example.com', scopes: ['read', 'admin'] });
    expect(users[0]).not.toHaveProperty('passwordHash');
  });

  it('replaces scopes with set-scopes', async () => {
    const result = await cli(['set-scopes', 'dana@example.com', 'write']);
    const users = JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ scopes: string[] }>;

    expect(result.status).toBe(0);
    expect(users[0].scopes).toEqual(['write']);
  });

  it('stores the piped password, without its line break', async () => {
    const folder = await openDataFolder(dataDir);
    try {
      const user = await folder.store.getUser('dana@example.com');

      expect(await verifyPassword(PASSWORD, user?.passwordHash ?? '')).toBe(true);
    } finally {
      await folder.close();
    }
  });

  it('rejects an existing user', async () => {
    const result = await cli(['add', 'DANA@example.com'], PASSWORD);

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/user dana@example\.com already exists/);
  });

  it.each([
    ['a password of 11 characters', 'p'.repeat(11), /password has 11 characters; use 12 to 128/],
    ['a password of 129 characters', 'p'.repeat(129), /password has 129 characters; use 12 to 128/],
    ['an empty stdin', '', /no password on stdin/],
    ['two lines on stdin', `${PASSWORD}\n${PASSWORD}\n`, /must be a single line/],
  ])('rejects %s with status 2', async (_name, input, message) => {
    const result = await cli(['add', 'erin@example.com'], input);

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('added none of the rejected users', async () => {
    const users = JSON.parse((await cli(['list', '--json'])).stdout) as Array<{ email: string }>;

    expect(users.map((user) => user.email)).toEqual(['dana@example.com']);
  });

  it('sets a new password and unlocks', async () => {
    const setPassword = await cli(['set-password', 'dana@example.com'], 'another good password\n');
    const unlock = await cli(['unlock', 'dana@example.com']);

    expect(setPassword.status).toBe(0);
    expect(unlock.status).toBe(0);
    expect(unlock.stdout).toMatch(/^Unlocked dana@example\.com/);
  });

  it('removes a user, then reports it missing', async () => {
    const first = await cli(['remove', 'dana@example.com']);
    const second = await cli(['remove', 'dana@example.com']);

    expect(first.status).toBe(0);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/user dana@example\.com not found/);
    expect((await cli(['list'])).stdout).toMatch(/^No users in /);
  });
});

/**
 * Runs the CLI in a pseudo-terminal made by util-linux `script`, typing each reply after its prompt appears.
 * Returns everything the terminal showed.
 */
function runCliInTerminal(args: string[], replies: Array<{ prompt: string; text: string }>, dataDir: string) {
  const command = ['npx', 'tsx', 'infra/cli/users.ts', ...args].join(' ');
  return new Promise<{ status: number | null; screen: string }>((resolvePromise, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let screen = '';
    const pending = [...replies];
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (pending.length > 0 && screen.includes(pending[0].prompt)) child.stdin.write(`${pending.shift()!.text}\r`);
    });
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, screen }));
  });
}

const describeWithTerminal = existsSync('/usr/bin/script') ? describe : describe.skip;

describeWithTerminal('users CLI password prompt', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'users-cli-tty-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the password twice without echo', async () => {
    const typed = 'typed at the prompt 42';
    const result = await runCliInTerminal(
      ['add', 'ivan@example.com'],
      [
        { prompt: 'New password for ivan@example.com: ', text: typed },
        { prompt: 'Repeat the password: ', text: typed },
      ],
      dataDir,
    );

    expect(result.status).toBe(0);
    expect(result.screen).toMatch(/Added ivan@example\.com/);
    expect(result.screen).not.toContain(typed);
  });

  it('rejects two different passwords', async () => {
    const result = await runCliInTerminal(
      ['add', 'judy@example.com'],
      [
        { prompt: 'New password for judy@example.com: ', text: 'first password typed' },
        { prompt: 'Repeat the password: ', text: 'second password typed' },
      ],
      dataDir,
    );

    expect(result.status).toBe(2);
    expect(result.screen).toMatch(/the two passwords differ/);
  });
});

describe('users CLI usage errors', () => {
  it.each([
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['no command', [], /missing command/],
    ['a password option', ['add', 'x@example.com', '--password', 'hunter2hunter2'], /never read from the command line/],
    ['a missing email', ['remove'], /"remove" takes 1 argument/],
    ['an invalid email', ['add', 'not-an-email'], /invalid email address "not-an-email"/],
  ])('rejects %s with status 2', async (_name, args, message) => {
    const result = await runCli(args, { env: { DATA_DIR: join(tmpdir(), 'users-cli-never-created') } });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('prints usage for help', async () => {
    const result = await runCli(['--help']);

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run users -- <command>/);
  });
});

describe('parseCommandLine', () => {
  it('reads a deployed target with the Region from the environment', () => {
    const command = parseCommandLine(['list', '--table', 'users-prod'], { AWS_REGION: 'eu-west-1' });

    expect(command.deployed).toEqual({ table: 'users-prod', region: 'eu-west-1' });
  });

  it('parses set-scopes with an empty list', () => {
    expect(parseCommandLine(['set-scopes', 'a@example.com', ''], {}).scopes).toEqual([]);
  });

  it.each([
    [['list', '--table', 'users-prod'], /--table needs --region/],
    [['list', '--region', 'eu-west-1'], /--region applies only with --table/],
    [['list', '--scopes', 'a'], /--scopes applies only to "add"/],
    [['remove', 'a@example.com', '--json'], /--json applies only to "list"/],
    [['add', 'a@example.com', 'extra'], /"add" takes 1 argument/],
    [['list', '--verbose'], /Unknown option '--verbose'/],
  ])('rejects %j', (args, message) => {
    expect(() => parseCommandLine(args, {})).toThrow(UsageError);
    expect(() => parseCommandLine(args, {})).toThrow(message);
  });
});

describe('users CLI with a running npm start', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'users-cli-running-'));
    await mkdir(dataDir, { recursive: true });
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uses the endpoint file while it responds', async () => {
    const running = await openDataFolder(dataDir);
    try {
      await writeFile(localDataPaths(dataDir).dynamoDbEndpointFile, `${running.dynamoDb.endpoint}\n`);

      const result = await runCli(['add', 'frank@example.com'], { input: PASSWORD, env: { DATA_DIR: dataDir } });

      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/to the running npm start/);
      expect(await running.store.getUser('frank@example.com')).toBeDefined();
    } finally {
      await running.close();
    }
  });

  it('opens the folder itself when the endpoint file is left behind', async () => {
    const stopped = await openDataFolder(dataDir);
    await stopped.close();
    await writeFile(localDataPaths(dataDir).dynamoDbEndpointFile, stopped.dynamoDb.endpoint);

    const result = await runCli(['add', 'grace@example.com'], { input: PASSWORD, env: { DATA_DIR: dataDir } });
    const list = await runCli(['list', '--json'], { env: { DATA_DIR: dataDir } });

    expect(result.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ email: 'grace@example.com' })]);
  });

  it('reports a folder that another process holds', async () => {
    const holder = await openDataFolder(dataDir);
    try {
      const result = await runCli(['list'], { env: { DATA_DIR: dataDir } });

      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/the embedded DynamoDB on .* failed/);
    } finally {
      await holder.close();
    }
  });
});

describe('users CLI on a deployed table', () => {
  it('uses --table and --region with the standard credential chain', async () => {
    const dynamoDb = await startEmbeddedDynamoDb();
    const client = localDynamoDbClient(dynamoDb.endpoint);
    try {
      await ensureUsersTable(client, 'users-deployed');
      // The SDK reads the endpoint and credentials from the environment, as it would on a workstation.
      const env = {
        AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        DATA_DIR: join(tmpdir(), 'users-cli-never-created'),
      };

      const result = await runCli(['add', 'heidi@example.com', '--table', 'users-deployed', '--region', 'eu-west-1'], {
        input: PASSWORD,
        env,
      });

      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/to table users-deployed in eu-west-1/);
      expect(await new UserStore(client, 'users-deployed').getUser('heidi@example.com')).toBeDefined();
    } finally {
      client.destroy();
      await dynamoDb.close();
    }
  });
});
