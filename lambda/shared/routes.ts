/**
 * The single route table read by the CDK stack, the authorizer's policy builder and the local gateway.
 * Adding a route here adds it to all three.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Any-of requirement: a token passes when it carries at least one listed scope or one listed group. */
export interface RouteRequirement {
  readonly scopes?: readonly string[];
  readonly groups?: readonly string[];
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Resource path as API Gateway names it, starting with `/`. */
  readonly path: string;
  /** Folder under `lambda/` whose `handler.ts` exports `handler`. */
  readonly handler: string;
  /** `public` routes have no authorizer. */
  readonly access: 'public' | 'protected';
  /** Extra permission a protected route needs beyond a valid token. Absent means any valid token. */
  readonly requires?: RouteRequirement;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'POST', path: '/login', handler: 'login', access: 'public' },
  { method: 'GET', path: '/health', handler: 'health', access: 'public' },
  { method: 'GET', path: '/me', handler: 'me', access: 'protected' },
  {
    method: 'GET',
    path: '/admin',
    handler: 'admin',
    access: 'protected',
    requires: { scopes: ['admin'], groups: ['admin'] },
  },
];

export const PROTECTED_ROUTES = ROUTES.filter((route) => route.access === 'protected');

/** Scopes and groups of a caller, as the route requirements read them. */
export interface Grants {
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
}

/** Returns whether the grants meet the route's requirement: any listed scope or any listed group. */
export function routePermits(route: RouteDefinition, grants: Grants): boolean {
  const requirement = route.requires;
  if (!requirement) return true;
  return (
    grants.scopes.some((scope) => requirement.scopes?.includes(scope) ?? false) ||
    grants.groups.some((group) => requirement.groups?.includes(group) ?? false)
  );
}

/** Returns the route for an exact method and path, or undefined. */
export function findRoute(method: string, path: string): RouteDefinition | undefined {
  return ROUTES.find((route) => route.method === method && route.path === path);
}
