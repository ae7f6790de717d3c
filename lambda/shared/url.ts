const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for a host on this machine, where plain HTTP cannot be intercepted in transit. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses a URL that keys are fetched from: HTTPS, or HTTP on a loopback host; no credentials, no fragment.
 * The error message starts with the quoted value, so callers can prefix the setting's name.
 */
export function assertKeyUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not an absolute URL`);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure) {
    throw new Error(`"${value}" must use https (plain http is accepted only on a loopback host)`);
  }
  if (url.username || url.password || url.hash) {
    throw new Error(`"${value}" must not contain credentials or a fragment`);
  }
  return url;
}
