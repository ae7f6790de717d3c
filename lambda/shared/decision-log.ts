import type { RejectionReason } from './errors';
import { logger } from './logger';

/** One authorizer decision, as logged. Holds no token and no secret. */
export interface AuthorizerDecision {
  /** `error` means the token could not be checked (keys unavailable); the request fails with 503. */
  readonly decision: 'allow' | 'deny' | 'unauthorized' | 'error';
  /** `ok` for an accepted token, otherwise the rejection reason. */
  readonly reason: RejectionReason | 'ok';
  readonly sub?: string;
  readonly iss?: string;
  readonly kid?: string;
  readonly coldStart: boolean;
  /** Routes the returned policy allows, as `METHOD /path`. */
  readonly allowedRoutes?: readonly string[];
}

type DecisionListener = (decision: AuthorizerDecision) => void;
const listeners = new Set<DecisionListener>();

/**
 * Registers a listener for every decision in this process, and returns a function that removes it.
 * The local gateway uses it to print the reason code beside each request.
 */
export function observeDecisions(listener: DecisionListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Writes one structured log line for a decision: `info` for allow and deny, `warn` for rejections. */
export function logDecision(decision: AuthorizerDecision): void {
  const message = `Authorizer decision: ${decision.decision}`;
  if (decision.decision === 'error') logger.error(message, { ...decision });
  else if (decision.decision === 'unauthorized') logger.warn(message, { ...decision });
  else logger.info(message, { ...decision });
  for (const listener of listeners) listener(decision);
}
