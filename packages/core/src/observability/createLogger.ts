import { pino, type Logger } from 'pino';

/** The logger type every component accepts. */
export type { Logger } from 'pino';

/**
 * A pino logger: JSON lines by default, pretty when stdout is a terminal (and pino-pretty is
 * installed). Level from `LOG_LEVEL` (default `info`). Credentials in common fields are redacted.
 */
export function createLogger(name: string, options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const redact = { paths: ['password', 'pass', 'token', 'nkeySeed', '*.password', '*.pass', '*.token', 'config.nats.pass', 'config.nats.token'], censor: '***' };
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  if (pretty) {
    try {
      return pino({ name, level, redact, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
    } catch {
      // pino-pretty is a dev dependency; fall back to JSON lines without it.
    }
  }
  return options.destination ? pino({ name, level, redact }, options.destination as never) : pino({ name, level, redact });
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
