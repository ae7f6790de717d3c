import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { ConfigurationError } from '../shared/errors';
import { SigningKeyCache, signingKeySourceFromEnv } from '../shared/signing-keys';
import { createLoginHandler } from './create-handler';
import { createDummyPasswordHash } from './password';
import { readLoginSettings } from './settings';
import { UserStore } from './user-store';

/**
 * `POST /login`: checks an email and password against the users table and returns a local HS256 access token.
 * Configuration is read at cold start, and an invalid setting throws `ConfigurationError` naming it.
 * Locally, the DynamoDB endpoint comes from `AWS_ENDPOINT_URL_DYNAMODB`, which the AWS SDK reads itself.
 */

const settings = readLoginSettings(process.env);

const keySource = signingKeySourceFromEnv(process.env);
if (!keySource) {
  throw new ConfigurationError(
    'SIGNING_SECRET_ARN',
    'missing, and SIGNING_KEY_FILE is not set either; set one of them so the login Lambda can sign tokens',
  );
}
const signingKeys = new SigningKeyCache(keySource, { refreshIntervalMs: settings.token.keyRefreshSeconds * 1000 });
signingKeys.prefetch();

const dynamoDb = new DynamoDBClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } });

export const handler = createLoginHandler({
  store: new UserStore(dynamoDb, settings.usersTable),
  lockout: settings.lockout,
  token: settings.token,
  signingKeys,
  dummyPasswordHash: createDummyPasswordHash(),
});
