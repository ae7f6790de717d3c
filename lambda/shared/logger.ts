import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured JSON logger of the runtime handlers. Service name and level come from
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL` when set.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jwt-authorizer' });
