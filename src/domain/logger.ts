/** The slice of pino's API (Fastify's logger) that services use, so they do not depend on Fastify. */
export interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}
