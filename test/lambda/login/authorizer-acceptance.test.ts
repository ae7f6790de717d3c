import { decodeProtectedHeader } from 'jose';

import { createUser, type UserRecord, type UserStore } from '../../../lambda/login/user-store';
import { rotateKeyFile } from '../../../lambda/shared/signing-keys';
import { loadAuthorizer, METHOD_ARN_PREFIX, tokenEvent } from '../../helpers/load-authorizer';
import { policyAllows } from '../../helpers/policy-evaluation';
import { ALICE, buildHandler, freshStore, type LoginTestBed, loginEvent, responseBody, startLoginTestBed } from './fixtures';

let testBed: LoginTestBed;
let store: UserStore;
let alice: UserRecord;

beforeAll(async () => {
  testBed = await startLoginTestBed();
  store = await freshStore(testBed);
  alice = await createUser(store, ALICE);
});

afterAll(async () => {
  await testBed.close();
});

/** Logs Alice in with the real clock, which the authorizer also uses, and returns the access token. */
async function loginToken(): Promise<string> {
  const response = await buildHandler(testBed, store)(loginEvent({ email: ALICE.email, password: ALICE.password }));
  expect(response.statusCode).toBe(200);
  return responseBody(response).access_token as string;
}

describe('login token in the authorizer', () => {
  it('is accepted with the user id, email and scopes in the context', async () => {
    const token = await loginToken();
    const authorizer = loadAuthorizer({ SIGNING_KEY_FILE: testBed.keyFile });
    try {
      const result = await authorizer.handler(tokenEvent(`Bearer ${token}`, 'GET/me'));

      expect(result.principalId).toBe(alice.userId);
      expect(result.context).toMatchObject({ sub: alice.userId, email: ALICE.email, scope: 'read admin' });
      expect(policyAllows(result.policyDocument, `${METHOD_ARN_PREFIX}/GET/me`)).toBe(true);
      expect(policyAllows(result.policyDocument, `${METHOD_ARN_PREFIX}/GET/admin`)).toBe(true);
    } finally {
      authorizer.restore();
    }
  });

  it('still verifies when signed with the previous key version', async () => {
    const oldToken = await loginToken();
    await rotateKeyFile(testBed.keyFile);
    const newToken = await loginToken();
    expect(decodeProtectedHeader(newToken).kid).not.toBe(decodeProtectedHeader(oldToken).kid);

    const authorizer = loadAuthorizer({ SIGNING_KEY_FILE: testBed.keyFile });
    try {
      const fromOldKey = await authorizer.handler(tokenEvent(`Bearer ${oldToken}`, 'GET/me'));
      const fromNewKey = await authorizer.handler(tokenEvent(`Bearer ${newToken}`, 'GET/me'));

      expect(fromOldKey.principalId).toBe(alice.userId);
      expect(fromNewKey.principalId).toBe(alice.userId);
      expect(authorizer.decisions.map((decision) => decision.kid)).toEqual([
        decodeProtectedHeader(oldToken).kid,
        decodeProtectedHeader(newToken).kid,
      ]);
    } finally {
      authorizer.restore();
    }
  });
});
