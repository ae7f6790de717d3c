import type { AuthorizerDecision } from '../../lambda/shared/decision-log';

/** Authorization outcome of one request to a protected route. */
export type AuthorizationOutcome =
  /** The Authorization header was missing or failed the identity validation expression. */
  | { readonly kind: 'not-invoked' }
  | { readonly kind: 'unauthorized' }
  /** The authorizer (or the cache) returned a policy, and `allowed` is whether it covers the called route. */
  | { readonly kind: 'policy'; readonly cached: boolean; readonly allowed: boolean }
  | { readonly kind: 'failure'; readonly error: string }
  | { readonly kind: 'configuration-error'; readonly error: string };

/** One request as the gateway logs it. Holds no token and no body. */
export interface RequestLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly statusCode: number;
  /** Wall time from the first byte read to the response sent, in milliseconds. */
  readonly latencyMs: number;
  /** Set for protected routes only. */
  readonly authorization?: AuthorizationOutcome;
  /** The decision the authorizer logged while handling this request, when it logged one. */
  readonly decision?: AuthorizerDecision;
  /** Reason the gateway responded by itself (unknown route, request too large, a handler error). */
  readonly note?: string;
}

/**
 * Formats a log entry as one terminal line, for example
 * `12:00:01 GET /admin 403 4 ms  authorizer deny (ok), policy denies the route`.
 */
export function formatRequestLog(entry: RequestLogEntry, at: Date = new Date()): string {
  const time = at.toTimeString().slice(0, 8);
  const parts = [`${time} ${entry.method} ${entry.path} ${entry.statusCode} ${Math.round(entry.latencyMs)} ms`];
  const details: string[] = [];

  const authorization = entry.authorization;
  const decision = entry.decision ? `authorizer ${entry.decision.decision} (${entry.decision.reason})` : undefined;
  switch (authorization?.kind) {
    case undefined:
      break;
    case 'not-invoked':
      details.push('no valid Bearer header, authorizer not invoked');
      break;
    case 'unauthorized':
      details.push(decision ?? 'authorizer rejected the token');
      break;
    case 'policy':
      if (authorization.cached) details.push('cached policy');
      else details.push(decision ?? 'authorizer returned a policy');
      details.push(authorization.allowed ? 'policy allows the route' : 'policy denies the route');
      break;
    case 'failure':
      if (decision) details.push(decision);
      details.push(`authorizer failed: ${authorization.error}`);
      break;
    case 'configuration-error':
      details.push(`invalid authorizer result: ${authorization.error}`);
      break;
  }
  if (entry.note) details.push(entry.note);

  if (details.length > 0) parts.push(details.join(', '));
  return parts.join('  ');
}
