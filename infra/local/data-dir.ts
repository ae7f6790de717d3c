import { join, resolve } from 'node:path';

/** Default data folder of `npm start` and the users CLI, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.local';

/** Files and folders inside the local data folder. */
export interface LocalDataPaths {
  readonly dataDir: string;
  /** LevelDB folder of the embedded DynamoDB API. */
  readonly dynamoDbPath: string;
  /** JSON file with the HS256 signing key versions (see `FileKeySource`). */
  readonly signingKeyFile: string;
  /**
   * Contains the endpoint URL of the embedded DynamoDB API while `npm start` runs. LevelDB admits one
   * process, so the users CLI talks to that endpoint instead of opening the folder itself.
   */
  readonly dynamoDbEndpointFile: string;
}

export function localDataPaths(dataDir: string = process.env.DATA_DIR?.trim() || DEFAULT_DATA_DIR): LocalDataPaths {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    dynamoDbPath: join(root, 'dynamodb'),
    signingKeyFile: join(root, 'signing-keys.json'),
    dynamoDbEndpointFile: join(root, 'dynamodb-endpoint'),
  };
}
