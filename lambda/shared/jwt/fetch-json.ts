import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface FetchJsonOptions {
  /** Whole-request budget in milliseconds, connection included. */
  readonly timeoutMs: number;
  /** Largest response body accepted, in bytes. */
  readonly maxBytes: number;
}

/** Limits for key set and discovery requests. Both stay far below an authorizer's 5 s+ time budget. */
export const DEFAULT_FETCH_OPTIONS: FetchJsonOptions = { timeoutMs: 1500, maxBytes: 256 * 1024 };

export class FetchJsonError extends Error {
  public override readonly name = 'FetchJsonError';
}

/**
 * GETs a JSON document. Redirects are not followed (a 3xx is an error), the body is capped at `maxBytes`,
 * and the whole request is aborted after `timeoutMs`.
 */
export function fetchJson(url: URL, options: FetchJsonOptions = DEFAULT_FETCH_OPTIONS): Promise<unknown> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy(new FetchJsonError(`GET ${url.href} timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    timer.unref();
    const settle = <T>(callback: (value: T) => void) => (value: T) => {
      clearTimeout(timer);
      callback(value);
    };
    resolve = settle(resolve);
    reject = settle(reject);

    const request = send(url, { method: 'GET', headers: { accept: 'application/json' } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new FetchJsonError(`GET ${url.href} returned HTTP ${response.statusCode}`));
        return;
      }
      const declaredLength = Number(response.headers['content-length'] ?? 0);
      if (declaredLength > options.maxBytes) {
        request.destroy(new FetchJsonError(`GET ${url.href} response exceeds ${options.maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          request.destroy(new FetchJsonError(`GET ${url.href} response exceeds ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new FetchJsonError(`GET ${url.href} returned invalid JSON`));
        }
      });
      response.on('error', reject);
    });

    request.on('error', reject);
    request.end();
  });
}
