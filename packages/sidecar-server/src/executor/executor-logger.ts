/**
 * Where executors report what no caller is waiting for (a CPU fallback, a crashed instance).
 * A pino logger fits as is.
 */
export interface ExecutorLogger {
  warn(message: string): void;
  error(message: string): void;
}
