import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureKeyFile, FileKeySource } from '../../../lambda/shared/signing-keys';
import { loadAuthorizer, thrownMessage, tokenEvent } from '../../helpers/load-authorizer';
import { nowSeconds, signHs256Raw } from '../../helpers/tokens';

describe('authorizer decision log', () => {
  it('logs decisions without tokens or secrets', async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), 'logging-')), 'signing-keys.json');
    await ensureKeyFile(keyFile);
    const { current } = await new FileKeySource(keyFile).load();
    const claims = { iss: 'urn:jwt-authorizer:local', aud: 'jwt-authorizer-api', sub: 'user-9', iat: nowSeconds(), exp: nowSeconds() + 60 };
    const good = signHs256Raw(current.secret, { alg: 'HS256', kid: current.kid }, claims);
    const forged = signHs256Raw('f'.repeat(40), { alg: 'HS256', kid: current.kid }, claims);

    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    // Powertools writes info lines to stdout and warnings and errors to stderr.
    const writes = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const authorizer = loadAuthorizer({ SIGNING_KEY_FILE: keyFile, POWERTOOLS_LOG_LEVEL: 'INFO' });
    try {
      await authorizer.handler(tokenEvent(`Bearer ${good}`));
      await thrownMessage(authorizer.handler(tokenEvent(`Bearer ${forged}`)));
    } finally {
      for (const write of writes) write.mockRestore();
      authorizer.restore();
    }

    const output = lines.join('');
    const records = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const decisions = records.filter((record) => String(record.message).startsWith('Authorizer decision'));
    expect(decisions.map((record) => [record.decision, record.reason, record.coldStart])).toEqual([
      ['allow', 'ok', true],
      ['unauthorized', 'bad_signature', false],
    ]);
    expect(decisions[1]).toMatchObject({ sub: 'user-9', iss: 'urn:jwt-authorizer:local', kid: current.kid, level: 'WARN' });
    for (const secretValue of [good, forged, good.split('.')[2], current.secret.toString(), readFileSync(keyFile, 'utf8')]) {
      expect(output).not.toContain(secretValue);
    }
  });
});
