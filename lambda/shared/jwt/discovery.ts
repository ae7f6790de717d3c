import { fetchJson, type FetchJsonOptions, DEFAULT_FETCH_OPTIONS } from './fetch-json';
import { assertKeyUrl } from '../url';

/**
 * Returns a function that reads `jwks_uri` from the issuer's OpenID Provider Metadata on first use and
 * remembers it for the life of the container. A failed read is not remembered, so the next call tries again.
 * The document's `issuer` must equal `issuerUrl` exactly (OpenID Connect Discovery 1.0, section 4.3).
 */
export function discoverJwksUri(issuerUrl: string, fetchOptions: FetchJsonOptions = DEFAULT_FETCH_OPTIONS): () => Promise<URL> {
  // Discovery section 4: the path is appended after removing any trailing slash from the issuer.
  const metadataUrl = new URL(`${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`);
  let discovered: Promise<URL> | undefined;

  const discover = async (): Promise<URL> => {
    const metadata = (await fetchJson(metadataUrl, fetchOptions)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (metadata?.issuer !== issuerUrl) {
      throw new Error(`discovery document issuer does not equal ISSUER_URL ${issuerUrl}`);
    }
    if (typeof metadata.jwks_uri !== 'string') {
      throw new Error('discovery document has no jwks_uri');
    }
    try {
      return assertKeyUrl(metadata.jwks_uri);
    } catch (error) {
      throw new Error(`discovery document jwks_uri ${(error as Error).message}`);
    }
  };

  return () => {
    discovered ??= discover().catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
}
