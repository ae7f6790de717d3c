/** Partition key of the users table: the normalised (trimmed, lower-cased) email address. */
export const USERS_TABLE_PARTITION_KEY = 'email';

/** Default table name for the local gateway and the users CLI. The stack lets CloudFormation name the table. */
export const LOCAL_USERS_TABLE_NAME = 'jwt-authorizer-users';
