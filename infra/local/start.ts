/**
 * `npm start`: the API on 127.0.0.1 with embedded defaults. It starts dynalite persisted under DATA_DIR,
 * creates the HS256 key file and the seed users, loads the handlers once like warm Lambda containers, and
 * serves them through the local gateway until SIGINT or SIGTERM.
 *
 * Only modules that neither read the environment at import nor create the logger are imported at the top,
 * because the environment below must be in place before the handlers and the logger load.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ConfigurationError } from '../../lambda/shared/errors';
import { LOCAL_USERS_TABLE_NAME } from '../../lambda/shared/users-table';
import { localDataPaths } from './data-dir';
import { LOCAL_HOST, type LocalGatewaySettings, readLocalGatewaySettings } from './settings';

/** Dummy credentials, which dynalite accepts. They replace any in the shell, so no request is signed with real ones. */
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** A startup failure whose message names the cause and the fix. It exits 1 without a stack trace. */
class StartupError extends Error {
  public override readonly name = 'StartupError';
}

/** Sets the environment the handlers read at import. Returns notes to print about overridden settings. */
function prepareEnvironment(settings: LocalGatewaySettings): string[] {
  const notes: string[] = [];
  const paths = localDataPaths(settings.dataDir);
  const env = process.env;

  // The handlers log JSON through Powertools, and WARN keeps the terminal to request lines and errors.
  env.POWERTOOLS_LOG_LEVEL ||= 'WARN';
  // The AWS SDK warns at startup on Node.js 20 about its future releases, which the pinned version is not.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';

  if (env.HOST && env.HOST !== LOCAL_HOST) {
    notes.push(`HOST=${env.HOST} is ignored; the gateway listens on ${LOCAL_HOST} only.`);
  }
  if (env.SIGNING_SECRET_ARN) {
    notes.push(`SIGNING_SECRET_ARN is ignored; local tokens are signed with the key file ${paths.signingKeyFile}.`);
    delete env.SIGNING_SECRET_ARN;
  }
  env.SIGNING_KEY_FILE = paths.signingKeyFile;
  env.USERS_TABLE = LOCAL_USERS_TABLE_NAME;

  env.AWS_REGION = 'us-east-1';
  Object.assign(env, LOCAL_CREDENTIALS);
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return notes;
}

async function main(): Promise<void> {
  const settings = readLocalGatewaySettings(process.env);
  const notes = prepareEnvironment(settings);
  const paths = localDataPaths(settings.dataDir);

  const { ensureKeyFile } = await import('../../lambda/shared/signing-keys');
  const { ensureUsersTable, localDynamoDbClient, startEmbeddedDynamoDb } = await import('./embedded-dynamodb');

  // Data folder: the signing key file and the embedded DynamoDB API, which one process at a time may open.
  await ensureKeyFile(paths.signingKeyFile);
  const runningEndpoint = await readRunningEndpoint(paths.dynamoDbEndpointFile);
  if (runningEndpoint) {
    throw new StartupError(
      `npm start is already running with DATA_DIR ${paths.dataDir} (its DynamoDB API responds at ${runningEndpoint}); ` +
        'stop it first, or set DATA_DIR to another folder.',
    );
  }
  const dynamoDb = await startEmbeddedDynamoDb({ path: paths.dynamoDbPath });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;

  let server: Server | undefined;
  let endpointFileWritten = false;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      if (server) await closeServer(server);
      await dynamoDb.close();
      if (endpointFileWritten) await unlink(paths.dynamoDbEndpointFile).catch(() => undefined);
    })());
  stopOnSignals(cleanUp);

  try {
    // Handlers read their configuration at import, and a ConfigurationError propagates to the exit at the bottom.
    const { loadHandlerModules } = await import('./handler-modules');
    const modules = await loadHandlerModules();

    const client = localDynamoDbClient(dynamoDb.endpoint);
    await withLockedDataGuard(paths.dynamoDbPath, () => ensureUsersTable(client, LOCAL_USERS_TABLE_NAME));
    await writeFile(paths.dynamoDbEndpointFile, `${dynamoDb.endpoint}\n`);
    endpointFileWritten = true;

    const { UserStore } = await import('../../lambda/login/user-store');
    const { seedUsers } = await import('./seed-users');
    await seedUsers(new UserStore(client, LOCAL_USERS_TABLE_NAME), settings.users);
    client.destroy();

    const { createGateway } = await import('./gateway');
    server = createGateway({
      handlers: modules.handlers,
      authorizer: modules.authorizer,
      authorizerCacheTtlSeconds: settings.authorizerCacheTtlSeconds,
    });
    await listen(server, settings.port);
    const { port } = server.address() as AddressInfo;

    await printBanner(settings, `http://${LOCAL_HOST}:${port}`, paths.dataDir, dynamoDb.endpoint);
    for (const note of notes) process.stdout.write(`Note: ${note}\n`);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Runs the first call to the embedded DynamoDB API. LevelDB admits one process. When another process has the
 * folder open, dynalite throws inside its request handler, outside any promise, so this guard turns that
 * crash into a message and exit code 1.
 */
async function withLockedDataGuard<T>(dynamoDbPath: string, firstCall: () => Promise<T>): Promise<T> {
  const onLockedData = (error: Error) => {
    process.stderr.write(
      `Opening the DynamoDB data in ${dynamoDbPath} failed (${error.message}). ` +
        'Another process, such as npm run users, may be using this DATA_DIR; ' +
        'stop it or set DATA_DIR to another folder.\n',
    );
    process.exit(1);
  };
  process.once('uncaughtException', onLockedData);
  try {
    return await firstCall();
  } finally {
    process.off('uncaughtException', onLockedData);
  }
}

async function printBanner(settings: LocalGatewaySettings, baseUrl: string, dataDir: string, dynamoDbEndpoint: string) {
  const { ROUTES } = await import('../../lambda/shared/routes');
  const { readLocalTokenSettings } = await import('../../lambda/shared/settings');
  const { startupBanner } = await import('./banner');

  const localTokens = readLocalTokenSettings(process.env);
  const issuer = process.env.ISSUER_URL?.trim();
  const banner = startupBanner({
    baseUrl,
    routes: ROUTES,
    authorizerCacheTtlSeconds: settings.authorizerCacheTtlSeconds,
    dataDir,
    dynamoDbEndpoint,
    users: settings.users,
    localIssuer: localTokens.issuer,
    localAudience: localTokens.audience,
    externalIssuer: issuer
      ? { issuer, audience: process.env.AUDIENCE?.trim() ?? '', tokenUse: process.env.TOKEN_USE?.trim() || 'access' }
      : undefined,
  });
  process.stdout.write(`${banner}\n`);
}

/** On SIGINT or SIGTERM: runs `cleanUp` (close the server, flush dynalite, remove the endpoint file), then exits 0. */
function stopOnSignals(cleanUp: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping.\n`);
    cleanUp().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * Returns the endpoint in `endpointFile` when it is a loopback http URL that responds, which means another
 * npm start has this data folder open. A file left behind by a crash names an endpoint that no longer responds.
 */
async function readRunningEndpoint(endpointFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(endpointFile, 'utf8')).trim();
  } catch {
    return undefined;
  }
  const url = URL.parse(text);
  if (!url || url.protocol !== 'http:' || url.hostname !== LOCAL_HOST) return undefined;
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return text;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        const message = `Port ${port} on ${LOCAL_HOST} is in use; stop the other program or set PORT (0 picks a free port).`;
        reject(new StartupError(message));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, LOCAL_HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError || (error as Error)?.name === 'ConfigurationError') {
    process.stderr.write(`Configuration error: ${(error as Error).message}\n`);
  } else if (error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`npm start failed: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
