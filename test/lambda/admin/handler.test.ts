import type { APIGatewayProxyEvent } from 'aws-lambda';

import { handler } from '../../../lambda/admin/handler';

/** A proxy event carrying authorizer context values as API Gateway delivers them: all strings. */
const eventWith = (authorizer: Record<string, string> | undefined) =>
  ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEvent;

describe('admin handler', () => {
  it.each([
    ['the admin scope', { sub: 'u1', iss: 'i', scope: 'profile admin', groups: '' }],
    ['the admin group', { sub: 'u1', iss: 'i', scope: 'profile', groups: 'staff,admin' }],
  ])('allows a caller with %s', async (_case, authorizer) => {
    const response = await handler(eventWith(authorizer));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'Admin access granted', sub: 'u1' });
  });

  it.each([
    ['a plain scope', { sub: 'u1', iss: 'i', scope: 'profile', groups: '' }],
    ['a scope containing admin', { sub: 'u1', iss: 'i', scope: 'administrator', groups: 'admins' }],
  ])('forbids a caller with %s', async (_case, authorizer) => {
    expect((await handler(eventWith(authorizer))).statusCode).toBe(403);
  });

  it('rejects a request without authorizer context', async () => {
    expect((await handler(eventWith(undefined))).statusCode).toBe(401);
  });
});
