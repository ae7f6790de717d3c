import type { RouteDefinition } from '../../lambda/shared/routes';
import type { SeedUser } from './settings';

export interface BannerInput {
  readonly baseUrl: string;
  readonly routes: readonly RouteDefinition[];
  readonly authorizerCacheTtlSeconds: number;
  readonly dataDir: string;
  readonly dynamoDbEndpoint: string;
  readonly users: readonly SeedUser[];
  /** `iss` and `aud` of the tokens `POST /login` mints. */
  readonly localIssuer: string;
  readonly localAudience: string;
  /** `ISSUER_URL` and `AUDIENCE` when an external issuer is configured. */
  readonly externalIssuer?: { readonly issuer: string; readonly audience: string; readonly tokenUse: string };
}

/** Quotes a string as one bash word: single quotes, with each embedded `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Reads `access_token` from a token response on stdin; needs nothing but Node. */
const READ_ACCESS_TOKEN = `node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`;

/**
 * Formats the login request body as one bash word. A documented default password appears in clear. A
 * password the user set is read from its environment variable in the user's shell, so it is never printed.
 */
function loginBody(user: SeedUser): string {
  if (user.defaultPassword) return shellQuote(JSON.stringify({ email: user.email, password: user.password }));
  // Inside double quotes bash expands only $, ` and \, and validated emails contain no " or \.
  const email = user.email.replace(/[$`]/g, (char) => `\\${char}`);
  return `"{\\"email\\":\\"${email}\\",\\"password\\":\\"$${user.passwordSetting}\\"}"`;
}

/** Describes who may call a route, for the route list. */
function accessText(route: RouteDefinition): string {
  if (route.access === 'public') return 'public';
  const scopes = route.requires?.scopes ?? [];
  const groups = route.requires?.groups ?? [];
  if (scopes.length === 0 && groups.length === 0) return 'any valid token';
  const parts = [
    scopes.length > 0 ? `scope ${scopes.join(' or ')}` : undefined,
    groups.length > 0 ? `group ${groups.join(' or ')}` : undefined,
  ].filter(Boolean);
  return `token with ${parts.join(' or ')}`;
}

/** Builds the text `npm start` prints once it listens: settings, seeded users and curl lines for bash. */
export function startupBanner(input: BannerInput): string {
  const lines: string[] = [];
  const cache = input.authorizerCacheTtlSeconds === 0 ? 'off' : `${input.authorizerCacheTtlSeconds} s`;
  lines.push(`Local API Gateway listening on ${input.baseUrl} (authorizer cache ${cache})`);
  lines.push('');
  lines.push('Routes:');
  for (const route of input.routes) {
    lines.push(`  ${route.method.padEnd(6)} ${route.path.padEnd(10)} ${accessText(route)}`);
  }
  lines.push('');
  lines.push(`Data folder: ${input.dataDir} (DynamoDB API at ${input.dynamoDbEndpoint} while running)`);
  lines.push(`Accepted tokens: local HS256 from POST /login (iss ${input.localIssuer}, aud ${input.localAudience})`);
  if (input.externalIssuer) {
    const external = input.externalIssuer;
    lines.push(`                 and ${external.tokenUse} tokens of ${external.issuer} (aud ${external.audience})`);
  }
  lines.push('');
  lines.push('Seeded users (reset to these values on every start):');
  for (const user of input.users) {
    const password = user.defaultPassword ? user.password : `(from ${user.passwordSetting})`;
    lines.push(`  ${user.email}  password ${password}  scopes ${user.scopes.join(' ')}`);
  }

  const [user, admin] = input.users;
  const url = input.baseUrl;
  lines.push('');
  lines.push('Try it in bash:');
  if (input.users.some((seeded) => !seeded.defaultPassword)) {
    const settings = input.users.filter((seeded) => !seeded.defaultPassword).map((seeded) => seeded.passwordSetting);
    lines.push(`  # First export ${settings.join(' and ')} in this shell, because the lines below read it from there.`);
  }
  const login = (seeded: SeedUser) =>
    `curl -s -X POST ${url}/login -H 'Content-Type: application/json' -d ${loginBody(seeded)}`;
  lines.push(`  ${login(user)}`);
  lines.push(`  TOKEN=$(${login(user)} | ${READ_ACCESS_TOKEN})`);
  lines.push(`  curl -s ${url}/me -H "Authorization: Bearer $TOKEN"`);
  lines.push(`  curl -s ${url}/admin -H "Authorization: Bearer $TOKEN"`);
  if (admin) {
    lines.push(`  ADMIN_TOKEN=$(${login(admin)} | ${READ_ACCESS_TOKEN})`);
    lines.push(`  curl -s ${url}/admin -H "Authorization: Bearer $ADMIN_TOKEN"`);
  }
  lines.push('');
  lines.push('Each request is logged below. Press Ctrl+C to stop.');
  return lines.join('\n');
}
