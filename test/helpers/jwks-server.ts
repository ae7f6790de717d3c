import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { closeServer, listenOnLoopback } from './loopback-server';

/** Response behaviour of the fake key endpoint. */
export type KeyEndpointMode = 'up' | 'error' | 'hang' | 'redirect' | 'huge' | 'invalid-json' | 'reset';

/**
 * A real HTTP server on 127.0.0.1 that serves OpenID discovery and a JSON Web Key Set, counts requests
 * per path, and can be switched into failure modes.
 */
export class KeyEndpoint {
  public mode: KeyEndpointMode = 'up';
  public jwks: { keys: object[] } = { keys: [] };
  /** Overrides the `issuer` the discovery document reports; defaults to `issuer`. */
  public discoveryIssuer?: string;
  public readonly requests = new Map<string, number>();
  private server?: Server;
  private baseUrl = '';
  /** The issuer served in discovery; defaults to the base URL. */
  public issuerPath = '';

  public get issuer(): string {
    return `${this.baseUrl}${this.issuerPath}`;
  }

  public get jwksUri(): string {
    return `${this.baseUrl}/jwks.json`;
  }

  public count(path = '/jwks.json'): number {
    return this.requests.get(path) ?? 0;
  }

  public async start(): Promise<this> {
    this.server = createServer((request, response) => this.answer(request, response));
    this.baseUrl = await listenOnLoopback(this.server);
    return this;
  }

  public stop(): Promise<void> {
    return closeServer(this.server);
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    this.requests.set(path, (this.requests.get(path) ?? 0) + 1);

    switch (this.mode) {
      case 'error':
        response.writeHead(503).end('unavailable');
        return;
      case 'hang':
        return; // Never responds, so the client must time out.
      case 'reset':
        request.socket.destroy();
        return;
      case 'redirect':
        response.writeHead(302, { location: `${this.baseUrl}/elsewhere` }).end();
        return;
      case 'huge':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [], padding: 'x'.repeat(512 * 1024) }));
        return;
      case 'invalid-json':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
        return;
      default:
        break;
    }

    const discoveryPath = `${this.issuerPath.replace(/\/$/, '')}/.well-known/openid-configuration`;
    if (path === discoveryPath) {
      this.json(response, { issuer: this.discoveryIssuer ?? this.issuer, jwks_uri: this.jwksUri });
    } else if (path === '/jwks.json') {
      this.json(response, this.jwks);
    } else {
      response.writeHead(404).end();
    }
  }

  private json(response: ServerResponse, body: unknown): void {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
