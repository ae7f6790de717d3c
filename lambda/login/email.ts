/** Longest accepted email address, in characters: the 254-octet path limit of RFC 5321 minus the angle brackets. */
export const MAX_EMAIL_LENGTH = 254;

// The "valid e-mail address" grammar of the HTML Living Standard (input type=email): an unquoted local part and
// a domain of LDH labels. A single-label domain such as `localhost` is accepted.
const EMAIL_PATTERN =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Normalises an email address for lookup and storage: trims surrounding whitespace and lower-cases it. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Tests whether a normalised email address is well formed and at most `MAX_EMAIL_LENGTH` characters long. */
export function isEmailAddress(normalizedEmail: string): boolean {
  return normalizedEmail.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(normalizedEmail);
}
