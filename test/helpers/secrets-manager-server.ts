import { createServer, type Server } from 'node:http';

import { closeServer, listenOnLoopback } from './loopback-server';

export interface FakeSecretVersion {
  readonly versionId: string;
  readonly secretString: string;
  readonly createdDate: Date;
}

/**
 * A loopback HTTP server that serves the Secrets Manager `GetSecretValue` call of the AWS JSON 1.1 protocol,
 * for the SDK's real client. AWS itself cannot run here, so this replaces it at the wire level.
 */
export class FakeSecretsManager {
  public current?: FakeSecretVersion;
  public previous?: FakeSecretVersion;
  public down = false;
  public calls = 0;
  private server?: Server;
  public endpoint = '';

  public async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.calls++;
        const reply = (status: number, body: object) =>
          response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
        if (this.down) {
          reply(500, { __type: 'InternalServiceError', message: 'Service unavailable' });
          return;
        }
        const target = String(request.headers['x-amz-target'] ?? '');
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string; VersionStage?: string };
        const version = target === 'secretsmanager.GetSecretValue' && input.VersionStage === 'AWSPREVIOUS' ? this.previous : this.current;
        if (target !== 'secretsmanager.GetSecretValue' || !version) {
          reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value" });
          return;
        }
        reply(200, {
          ARN: input.SecretId,
          Name: 'signing-secret',
          VersionId: version.versionId,
          SecretString: version.secretString,
          VersionStages: [input.VersionStage ?? 'AWSCURRENT'],
          CreatedDate: version.createdDate.getTime() / 1000,
        });
      });
    });
    this.endpoint = await listenOnLoopback(this.server);
    return this;
  }

  public stop(): Promise<void> {
    return closeServer(this.server);
  }
}
