/**
 * Error types shared by the runtime handlers.
 *
 * Token problems are quiet: the authorizer turns every `TokenRejectedError` into exactly `Unauthorized`
 * and logs the reason code. Configuration problems are loud: they fail at cold start with the setting's name.
 */

/** Stable reason codes written to the decision log. Clients never see them. */
export type RejectionReason =
  | 'missing_token'
  | 'malformed'
  | 'alg_not_allowed'
  | 'unsupported_crit'
  | 'kid_not_found'
  | 'key_rejected'
  | 'bad_signature'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'token_use_mismatch'
  | 'missing_claim'
  | 'invalid_claim'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime_exceeded'
  | 'keys_unavailable';

/** A token that must not be accepted. `reason` goes to the log; the client sees only 401. */
export class TokenRejectedError extends Error {
  public override readonly name: string = 'TokenRejectedError';

  public constructor(
    public readonly reason: RejectionReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Keys could not be obtained (endpoint down, bad response, secret unreadable). The request fails closed,
 * and the failure is logged at error level because no client input caused it.
 */
export class KeysUnavailableError extends TokenRejectedError {
  public override readonly name = 'KeysUnavailableError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super('keys_unavailable', message, options);
  }
}

/** An invalid setting, raised at cold start. `setting` is the environment variable name. */
export class ConfigurationError extends Error {
  public override readonly name = 'ConfigurationError';

  public constructor(
    public readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}
