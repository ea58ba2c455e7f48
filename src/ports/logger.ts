/**
 * The slice of pino Herald logs through. Log objects carry ids (app, message, channel), never a phone number,
 * a LINE user id, a token or a message body.
 *
 * @example
 * logger.child({ appId }).info({ messageId }, 'message queued');
 */
export interface Logger {
  fatal(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  trace(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
