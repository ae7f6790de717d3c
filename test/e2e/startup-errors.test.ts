import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureUsersTable, localDynamoDbClient, startEmbeddedDynamoDb } from '../../infra/local/embedded-dynamodb';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server';
import { type LocalGateway, spawnLocalGateway, startLocalGateway, stopLocalGateway } from './processes';

jest.setTimeout(60_000);

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jwt-authorizer-startup-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `npm start` until it exits and returns the exit code and output. */
async function runToExit(env: Record<string, string>) {
  const run = spawnLocalGateway({ DATA_DIR: dataDir, ...env });
  const code = await run.exited;
  return { code, stdout: run.stdout.text, stderr: run.stderr.text };
}

describe('npm start startup failures', () => {
  it.each([
    [
      { AUTHORIZER_CACHE_TTL: 'abc' },
      'Configuration error: AUTHORIZER_CACHE_TTL: invalid value "abc"; set a whole number of seconds from 0 to 3600, or unset it for the default 300',
    ],
    [{ AUTHORIZER_CACHE_TTL: '3601' }, 'Configuration error: AUTHORIZER_CACHE_TTL: invalid value "3601"'],
    [{ PORT: '70000' }, 'Configuration error: PORT: invalid value "70000"; set a TCP port from 0 to 65535'],
    [{ LOCAL_USER_PASSWORD: 'short' }, 'Configuration error: LOCAL_USER_PASSWORD: password has 5 characters; use 12 to 128'],
  ])('stops before opening any data for %j', async (env, message) => {
    const result = await runToExit(env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('listening on');
    await expect(access(join(dataDir, 'dynamodb'))).rejects.toThrow();
  });

  it.each([
    [
      { ISSUER_URL: 'https://issuer.example.test' },
      'Configuration error: AUDIENCE: is required when ISSUER_URL is set; set the accepted audience values',
    ],
    [{ ISSUER_URL: 'http://issuer.example.test', AUDIENCE: 'api' }, 'Configuration error: ISSUER_URL: "http://issuer.example.test" must use https'],
    [{ TOKEN_USE: 'refresh' }, 'Configuration error: TOKEN_USE: invalid value "refresh"; set access or id'],
    [{ JWKS_URI: 'https://issuer.example.test/jwks' }, 'Configuration error: JWKS_URI: is set but ISSUER_URL is empty'],
  ])('stops when a handler rejects %j at import', async (env, message) => {
    const result = await runToExit(env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('listening on');
    // The embedded DynamoDB API was started, so its endpoint file must be gone again.
    await expect(access(join(dataDir, 'dynamodb-endpoint'))).rejects.toThrow();
  });

  it('names the port when it is in use', async () => {
    const blocker: Server = createServer();
    const port = new URL(await listenOnLoopback(blocker)).port;
    try {

      const result = await runToExit({ PORT: String(port) });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is in use; stop the other program or set PORT`);
      await expect(access(join(dataDir, 'dynamodb-endpoint'))).rejects.toThrow();
    } finally {
      await closeServer(blocker);
    }
  });

  it('explains a DynamoDB folder held by another process', async () => {
    // This test process opens the LevelDB folder first, as the users CLI does when npm start is not running.
    const holder = await startEmbeddedDynamoDb({ path: join(dataDir, 'dynamodb') });
    const client = localDynamoDbClient(holder.endpoint);
    try {
      await ensureUsersTable(client, 'held-table');

      const result = await runToExit({});

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Opening the DynamoDB data in ${join(dataDir, 'dynamodb')} failed`);
      expect(result.stderr).toContain('may be using this DATA_DIR; stop it or set DATA_DIR to another folder');
    } finally {
      client.destroy();
      await holder.close();
    }
  });

  it('refuses a second npm start on the same DATA_DIR', async () => {
    let running: LocalGateway | undefined;
    try {
      running = await startLocalGateway({ DATA_DIR: dataDir });

      const result = await runToExit({});

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`npm start is already running with DATA_DIR ${dataDir}`);
      // The first instance keeps serving.
      expect((await fetch(`${running.url}/health`)).status).toBe(200);
    } finally {
      await stopLocalGateway(running, true);
    }
  });
});
