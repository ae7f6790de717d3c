import { join, resolve } from 'node:path';

import { ROUTES, type RouteDefinition } from '../../lambda/shared/routes';
import type { ProxyHandler, TokenAuthorizer } from './gateway';

/** Folder with one subfolder per handler, each with a `handler.ts` exporting `handler`. */
export const LAMBDA_DIRECTORY = resolve(__dirname, '..', '..', 'lambda');

export interface HandlerModules {
  /** Route handlers keyed by `RouteDefinition.handler`. */
  readonly handlers: Record<string, ProxyHandler>;
  /** The TOKEN authorizer; loaded only when a route is protected. */
  readonly authorizer?: TokenAuthorizer;
}

/**
 * Imports every route handler and the authorizer once, as warm Lambda containers that serve every later
 * request. The modules read their configuration at import, so the caller sets the environment first; a
 * `ConfigurationError` thrown by a module propagates unchanged.
 */
export async function loadHandlerModules(
  routes: readonly RouteDefinition[] = ROUTES,
  lambdaDirectory: string = LAMBDA_DIRECTORY,
): Promise<HandlerModules> {
  let authorizer: TokenAuthorizer | undefined;
  if (routes.some((route) => route.access === 'protected')) {
    authorizer = await importHandler<TokenAuthorizer>(lambdaDirectory, 'authorizer');
  }

  const handlers: Record<string, ProxyHandler> = {};
  for (const name of new Set(routes.map((route) => route.handler))) {
    handlers[name] = await importHandler<ProxyHandler>(lambdaDirectory, name);
  }
  return { handlers, authorizer };
}

async function importHandler<T>(lambdaDirectory: string, name: string): Promise<T> {
  const modulePath = join(lambdaDirectory, name, 'handler');
  const module = (await import(modulePath)) as { handler?: unknown };
  if (typeof module.handler !== 'function') {
    throw new TypeError(`${modulePath}.ts does not export a function named handler`);
  }
  return module.handler as T;
}
