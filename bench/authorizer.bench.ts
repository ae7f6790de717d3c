/**
 * Warm-path benchmark of the authorizer's verification core against raw node:crypto and the libraries users
 * would pick instead (aws-jwt-verify, jose). Every verifier checks a valid token with all keys in memory,
 * so the numbers compare verification work only. Also reports the authorizer bundle size.
 *
 * Run: npm run bench
 */
import { createHmac, createSecretKey, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { JwtVerifier } from 'aws-jwt-verify';
import { build } from 'esbuild';
import { createLocalJWKSet, jwtVerify } from 'jose';

import { readAuthorizerConfig } from '../lambda/authorizer/config';
import { TokenVerifier } from '../lambda/authorizer/token-verifier';
import { KeyEndpoint } from '../test/helpers/jwks-server';
import { generateTestKey, signHs256Raw, signToken } from '../test/helpers/tokens';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'bench-api';
const WARMUP = 2_000;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);

interface Result {
  readonly name: string;
  readonly microsecondsPerOp: number;
}

async function measure(name: string, operation: () => unknown): Promise<Result> {
  for (let i = 0; i < WARMUP; i++) await operation();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await operation();
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  return { name, microsecondsPerOp: elapsed / ITERATIONS };
}

function print(title: string, results: Result[]): void {
  const baseline = results[0].microsecondsPerOp;
  console.log(`\n${title}`);
  console.log('| verifier | µs/op | ops/s | vs. first row |');
  console.log('|---|---:|---:|---:|');
  for (const result of results) {
    const opsPerSecond = Math.round(1e6 / result.microsecondsPerOp);
    console.log(`| ${result.name} | ${result.microsecondsPerOp.toFixed(2)} | ${opsPerSecond} | ${(result.microsecondsPerOp / baseline).toFixed(2)}× |`);
  }
}

async function benchHs256(): Promise<Result[]> {
  const folder = mkdtempSync(join(tmpdir(), 'bench-'));
  const keyFile = join(folder, 'signing-keys.json');
  const secretText = 'b'.repeat(43);
  writeFileSync(keyFile, JSON.stringify({ versions: [{ kid: 'v1', secret: secretText, createdAt: new Date().toISOString() }] }));

  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'urn:jwt-authorizer:local', aud: 'jwt-authorizer-api', sub: 'user-1', scope: 'profile', iat: now, exp: now + 900 };
  const token = signHs256Raw(secretText, { alg: 'HS256', typ: 'JWT', kid: 'v1' }, claims);
  const [signingInput, signature] = [token.slice(0, token.lastIndexOf('.')), Buffer.from(token.split('.')[2], 'base64url')];
  const secretKey = createSecretKey(Buffer.from(secretText));

  const ours = new TokenVerifier(readAuthorizerConfig({ SIGNING_KEY_FILE: keyFile }));
  await ours.verify(token);
  const joseKey = new TextEncoder().encode(secretText);

  return [
    await measure('node:crypto HMAC-SHA256 + compare (signature only)', () =>
      timingSafeEqual(createHmac('sha256', secretKey).update(signingInput).digest(), signature),
    ),
    await measure('this authorizer (full verification)', () => ours.verify(token)),
    await measure('jose 5 jwtVerify (full verification)', () =>
      jwtVerify(token, joseKey, { issuer: 'urn:jwt-authorizer:local', audience: 'jwt-authorizer-api', algorithms: ['HS256'] }),
    ),
  ];
}

async function benchRs256(): Promise<Result[]> {
  const key = generateTestKey('RS256', 'rsa-1');
  const now = Math.floor(Date.now() / 1000);
  const token = await signToken(key, { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now, exp: now + 900 });
  const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const signature = Buffer.from(token.split('.')[2], 'base64url');
  const jwks = { keys: [key.jwk] };

  // This authorizer fetches the key set once from a loopback server; the libraries get it handed in memory.
  const endpoint = await new KeyEndpoint().start();
  endpoint.jwks = jwks;
  const ours = new TokenVerifier(readAuthorizerConfig({ ISSUER_URL: ISSUER, AUDIENCE, JWKS_URI: endpoint.jwksUri }));
  await ours.verify(token);
  await endpoint.stop();

  const awsJwtVerify = JwtVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: endpoint.jwksUri });
  awsJwtVerify.cacheJwks(jwks as never);
  await awsJwtVerify.verify(token);

  const joseKeys = createLocalJWKSet(jwks as never);

  return [
    await measure('node:crypto RSA-SHA256 verify (signature only)', () => cryptoVerify('sha256', signingInput, key.publicKey, signature)),
    await measure('this authorizer (full verification)', () => ours.verify(token)),
    await measure('aws-jwt-verify 5 (full verification)', () => awsJwtVerify.verify(token)),
    await measure('jose 5 jwtVerify + local JWKS (full verification)', () =>
      jwtVerify(token, joseKeys, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] }),
    ),
  ];
}

async function bundleSize(): Promise<number> {
  const result = await build({
    entryPoints: [join(__dirname, '../lambda/authorizer/handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    external: ['@aws-sdk/*'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents.length;
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, ${ITERATIONS} iterations after ${WARMUP} warm-up calls per row.`);
  print('HS256 (local tokens)', await benchHs256());
  print('RS256 (JWKS issuers)', await benchRs256());
  console.log(`\nAuthorizer bundle (esbuild, minified, AWS SDK external): ${((await bundleSize()) / 1024).toFixed(1)} KiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
