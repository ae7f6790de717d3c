import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readAuthorizerConfig } from '../../../lambda/authorizer/config';
import { TokenVerifier } from '../../../lambda/authorizer/token-verifier';
import { ensureKeyFile, FileKeySource, rotateKeyFile, SecretsManagerKeySource } from '../../../lambda/shared/signing-keys';
import { KeyEndpoint } from '../../helpers/jwks-server';
import { loadAuthorizer, type LoadedAuthorizer, thrownMessage, tokenEvent } from '../../helpers/load-authorizer';
import { FakeSecretsManager } from '../../helpers/secrets-manager-server';
import { generateTestKey, nowSeconds, signHs256Raw, signRs256Raw, signToken } from '../../helpers/tokens';
import { rejectionReason } from '../../helpers/rejection-reason';

const LOCAL_ISSUER = 'urn:jwt-authorizer:local';
const LOCAL_AUDIENCE = 'jwt-authorizer-api';

const localClaims = (now: number, overrides: Record<string, unknown> = {}) => ({
  iss: LOCAL_ISSUER,
  aud: LOCAL_AUDIENCE,
  sub: 'user-1',
  email: 'demo@example.com',
  scope: 'profile',
  iat: now,
  exp: now + 900,
  jti: 'c5a1e8d2-0000-4000-8000-000000000001',
  ...overrides,
});

describe('local-secret issuer', () => {
  let keyFile: string;

  beforeEach(async () => {
    keyFile = join(mkdtempSync(join(tmpdir(), 'local-issuer-')), 'signing-keys.json');
    await ensureKeyFile(keyFile);
  });

  describe('through the handler', () => {
    let authorizer: LoadedAuthorizer;

    beforeEach(() => {
      authorizer = loadAuthorizer({ SIGNING_KEY_FILE: keyFile });
    });
    afterEach(() => authorizer.restore());

    const sign = async (header: Record<string, unknown>, claims: object) => {
      const { current } = await new FileKeySource(keyFile).load();
      return signHs256Raw(current.secret, { alg: 'HS256', typ: 'JWT', kid: current.kid, ...header }, claims);
    };

    it('accepts a token signed with the current version', async () => {
      const result = await authorizer.handler(tokenEvent(`Bearer ${await sign({}, localClaims(nowSeconds()))}`));

      expect(result.principalId).toBe('user-1');
      expect(result.context).toMatchObject({ iss: LOCAL_ISSUER, scope: 'profile', email: 'demo@example.com' });
    });

    it.each(['HS384', 'HS512', 'hs256'])('rejects alg %s', async (alg) => {
      const token = await sign({ alg }, localClaims(nowSeconds()));

      expect(await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('alg_not_allowed');
    });

    it('rejects RS256 for the local issuer', async () => {
      const rsa = generateTestKey('RS256', 'rsa');
      const token = signRs256Raw(rsa.privateKey, { alg: 'RS256', kid: 'rsa' }, localClaims(nowSeconds()));

      expect(await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('alg_not_allowed');
    });

    it('rejects a token without kid', async () => {
      const token = await sign({ kid: undefined }, localClaims(nowSeconds()));

      expect(await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('kid_not_found');
    });

    it('rejects a token signed with another secret', async () => {
      const { current } = await new FileKeySource(keyFile).load();
      const token = signHs256Raw('another-secret-of-at-least-thirty-two-bytes', { alg: 'HS256', kid: current.kid }, localClaims(nowSeconds()));

      expect(await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${token}`)))).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('bad_signature');
    });

    it.each([
      ['another audience', () => ({ aud: 'other-api' }), 'audience_mismatch'],
      ['a lifetime over the maximum', (now: number) => ({ exp: now + 3601 }), 'lifetime_exceeded'],
      ['no iat', () => ({ iat: undefined }), 'missing_claim'],
      ['an expired exp', (now: number) => ({ iat: now - 1000, exp: now - 100 }), 'expired'],
    ])('rejects %s', async (_case, overrides, reason) => {
      const now = nowSeconds();
      const claims: Record<string, unknown> = localClaims(now, overrides(now));
      for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];

      expect(await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${await sign({}, claims)}`)))).toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe(reason);
    });

    it('accepts a lifetime of exactly the maximum', async () => {
      const now = nowSeconds();
      const token = await sign({}, localClaims(now, { exp: now + 3600 }));

      expect((await authorizer.handler(tokenEvent(`Bearer ${token}`))).principalId).toBe('user-1');
    });
  });

  describe('rotation', () => {
    let clock: number;
    let verifier: TokenVerifier;

    const signWith = (version: { kid: string; secret: Buffer }, claims: object) =>
      signHs256Raw(version.secret, { alg: 'HS256', typ: 'JWT', kid: version.kid }, claims);

    beforeEach(() => {
      clock = Date.now();
      verifier = new TokenVerifier(readAuthorizerConfig({ SIGNING_KEY_FILE: keyFile }), { now: () => clock });
    });

    it('accepts the previous version during the grace period and rejects it after', async () => {
      const before = await new FileKeySource(keyFile).load();
      const oldToken = signWith(before.current, localClaims(Math.floor(clock / 1000)));
      await rotateKeyFile(keyFile);
      const after = await new FileKeySource(keyFile).load();
      const rotatedAt = after.current.createdAt.getTime();

      // The new version is unknown to the cached keys and is picked up by a reload.
      clock = rotatedAt + 60_000;
      const newToken = signWith(after.current, localClaims(Math.floor(clock / 1000)));
      expect((await verifier.verify(newToken)).claims.sub).toBe('user-1');
      expect((await verifier.verify(oldToken)).claims.sub).toBe('user-1');

      // Grace period: maximum lifetime (3600 s) plus clock tolerance (30 s) after the rotation.
      clock = rotatedAt + (3600 + 30) * 1000 + 1000;
      const lateOldToken = signWith(before.current, localClaims(Math.floor(clock / 1000) - 10));
      expect(await rejectionReason(verifier.verify(lateOldToken))).toBe('kid_not_found');
    });

    it('rejects a token signed with the previous version after the rotation', async () => {
      const before = await new FileKeySource(keyFile).load();
      await rotateKeyFile(keyFile);
      const rotatedAt = (await new FileKeySource(keyFile).load()).current.createdAt.getTime();
      clock = rotatedAt + 120_000;
      await verifier.local!.keys.reload(0);

      // A leaked old secret must not mint new tokens: iat after the rotation is refused.
      const minted = signWith(before.current, localClaims(Math.floor(clock / 1000)));

      expect(await rejectionReason(verifier.verify(minted))).toBe('kid_not_found');
    });

    it('keeps two versions in the key file', async () => {
      await rotateKeyFile(keyFile);
      await rotateKeyFile(keyFile);

      expect(JSON.parse(readFileSync(keyFile, 'utf8')).versions).toHaveLength(2);
    });
  });
});

describe('Secrets Manager key source', () => {
  let secretsManager: FakeSecretsManager;
  const saved = { ...process.env };
  const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-secret-AbCdEf';

  beforeEach(async () => {
    secretsManager = await new FakeSecretsManager().start();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_REGION = 'us-east-1';
  });
  afterEach(async () => {
    process.env = { ...saved };
    await secretsManager.stop();
  });

  it('reads the current and previous versions with their version ids', async () => {
    secretsManager.current = { versionId: 'v2', secretString: 'b'.repeat(64), createdDate: new Date('2026-12-01T00:00:00Z') };
    secretsManager.previous = { versionId: 'v1', secretString: 'a'.repeat(64), createdDate: new Date('2026-11-01T00:00:00Z') };

    const keys = await new SecretsManagerKeySource(secretArn).load();

    expect(keys.current.kid).toBe('v2');
    expect(keys.current.secret.toString()).toBe('b'.repeat(64));
    expect(keys.current.createdAt.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(keys.previous?.kid).toBe('v1');
  });

  it('has no previous version before the first rotation', async () => {
    secretsManager.current = { versionId: 'v1', secretString: 'a'.repeat(64), createdDate: new Date() };

    expect((await new SecretsManagerKeySource(secretArn).load()).previous).toBeUndefined();
  });

  it('rejects a secret shorter than 32 bytes', async () => {
    secretsManager.current = { versionId: 'v1', secretString: 'short', createdDate: new Date() };

    await expect(new SecretsManagerKeySource(secretArn).load()).rejects.toThrow('needs at least 32');
  });

  it('verifies external tokens while Secrets Manager is down', async () => {
    secretsManager.down = true;
    const endpoint = await new KeyEndpoint().start();
    const rsa = generateTestKey('RS256', 'rsa-1');
    endpoint.jwks = { keys: [rsa.jwk] };
    const authorizer = loadAuthorizer({
      ISSUER_URL: 'https://issuer.example.com',
      AUDIENCE: 'api',
      JWKS_URI: endpoint.jwksUri,
      SIGNING_SECRET_ARN: secretArn,
    });
    try {
      const external = await signToken(rsa, { iss: 'https://issuer.example.com', aud: 'api', sub: 'ext-user', exp: nowSeconds() + 60 });
      const local = signHs256Raw('x'.repeat(64), { alg: 'HS256', kid: 'v1' }, localClaims(nowSeconds()));

      const result = await authorizer.handler(tokenEvent(`Bearer ${external}`));
      const localMessage = await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${local}`)));

      expect(result.principalId).toBe('ext-user');
      expect(localMessage).not.toBe('Unauthorized');
      expect(authorizer.decisions.at(-1)?.reason).toBe('keys_unavailable');
    } finally {
      authorizer.restore();
      await endpoint.stop();
    }
  });

  it('verifies a local token with the secret read from Secrets Manager', async () => {
    secretsManager.current = { versionId: 'v7', secretString: 'k'.repeat(64), createdDate: new Date(Date.now() - 1000) };
    const authorizer = loadAuthorizer({ SIGNING_SECRET_ARN: secretArn });
    try {
      const token = signHs256Raw('k'.repeat(64), { alg: 'HS256', kid: 'v7' }, localClaims(nowSeconds()));

      expect((await authorizer.handler(tokenEvent(`Bearer ${token}`))).principalId).toBe('user-1');
    } finally {
      authorizer.restore();
    }
  });
});
