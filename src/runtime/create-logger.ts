import { type DestinationStream, pino } from 'pino';
import type { Logger } from '../ports/logger.js';

/**
 * pino with the paths that may carry secrets or personal data redacted, as a second line of defence: the code
 * itself never logs them.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'herald' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'headers.authorization',
          '*.credentials',
          '*.accessToken',
          '*.authToken',
          '*.address',
          '*.to',
          '*.text',
          '*.body',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
