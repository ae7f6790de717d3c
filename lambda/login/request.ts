import type { APIGatewayProxyEvent } from 'aws-lambda';

import { isEmailAddress, MAX_EMAIL_LENGTH, normalizeEmail } from './email';
import { MAX_PASSWORD_LENGTH, passwordLength } from './password';

/** Largest accepted `POST /login` body in bytes, after base64 decoding. */
export const MAX_LOGIN_BODY_BYTES = 4096;

/** Validated credentials of a login request. */
export interface LoginCredentials {
  /** Trimmed, lower-cased email. */
  readonly email: string;
  readonly password: string;
}

/** A login request body that cannot be used. The message names the problem and is safe to return to the client. */
export class InvalidLoginRequestError extends Error {
  public override readonly name = 'InvalidLoginRequestError';
}

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates the JSON body `{"email": "...", "password": "..."}` of a proxy event.
 * Throws `InvalidLoginRequestError` for a missing, oversized, non-JSON or non-object body, a missing or
 * non-string field, an invalid email, and an empty or over-long password. Other fields are ignored.
 */
export function parseLoginRequest(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): LoginCredentials {
  const text = readBodyText(event);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidLoginRequestError('request body is not valid JSON');
  }
  return readCredentials(body);
}

function readBodyText(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): string {
  const rawBody = event.body;
  if (rawBody === null || rawBody === undefined || rawBody === '') {
    throw new InvalidLoginRequestError('request body is missing; send a JSON object with "email" and "password"');
  }
  const tooLarge = new InvalidLoginRequestError(`request body is larger than ${MAX_LOGIN_BODY_BYTES} bytes`);

  if (!event.isBase64Encoded) {
    if (Buffer.byteLength(rawBody, 'utf8') > MAX_LOGIN_BODY_BYTES) throw tooLarge;
    return rawBody;
  }

  // Checked before decoding, so an oversized body is never copied.
  if (rawBody.length > Math.ceil(MAX_LOGIN_BODY_BYTES / 3) * 4) throw tooLarge;
  if (!BASE64_PATTERN.test(rawBody)) {
    throw new InvalidLoginRequestError('request body is marked as base64-encoded but is not valid base64');
  }
  const bytes = Buffer.from(rawBody, 'base64');
  if (bytes.length > MAX_LOGIN_BODY_BYTES) throw tooLarge;
  if (bytes.length === 0) {
    throw new InvalidLoginRequestError('request body is missing; send a JSON object with "email" and "password"');
  }
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new InvalidLoginRequestError('request body is not valid UTF-8');
  }
}

function readCredentials(body: unknown): LoginCredentials {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidLoginRequestError('request body must be a JSON object with "email" and "password"');
  }
  const fields = body as Record<string, unknown>;

  const email = requireString(fields, 'email');
  const normalizedEmail = normalizeEmail(email);
  if (normalizedEmail.length > MAX_EMAIL_LENGTH) {
    throw new InvalidLoginRequestError(`"email" is longer than ${MAX_EMAIL_LENGTH} characters`);
  }
  if (!isEmailAddress(normalizedEmail)) {
    throw new InvalidLoginRequestError('"email" is not a valid email address');
  }

  const password = requireString(fields, 'password');
  if (password === '') throw new InvalidLoginRequestError('"password" must not be empty');
  if (passwordLength(password) > MAX_PASSWORD_LENGTH) {
    throw new InvalidLoginRequestError(`"password" is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }

  return { email: normalizedEmail, password };
}

function requireString(fields: Record<string, unknown>, name: 'email' | 'password'): string {
  if (!Object.prototype.hasOwnProperty.call(fields, name) || fields[name] === undefined || fields[name] === null) {
    throw new InvalidLoginRequestError(`"${name}" is missing`);
  }
  const value = fields[name];
  if (typeof value !== 'string') throw new InvalidLoginRequestError(`"${name}" must be a string`);
  return value;
}
