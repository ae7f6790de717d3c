import { TokenRejectedError } from '../../lambda/shared/errors';

/** Awaits a verification and returns its rejection reason, `resolved` when it passed, or the other error's text. */
export async function rejectionReason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof TokenRejectedError ? error.reason : String(error);
  }
}
