import { pino, type Logger } from 'pino';
import { redactUrl } from '../config/loadConfig.js';

/** The logger type every component accepts. */
export type { Logger } from 'pino';

/**
 * A pino logger: JSON lines by default, pretty when stdout is a terminal (and pino-pretty is
 * installed). Level from `LOG_LEVEL` (default `info`). Credentials in common fields are redacted.
 */
export function createLogger(name: string, options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  if (pretty) {
    try {
      return pino({ name, level, formatters: { log: redactSecrets }, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
    } catch {
      // pino-pretty is a dev dependency; fall back to JSON lines without it.
    }
  }
  return options.destination ? pino({ name, level, formatters: { log: redactSecrets } }, options.destination as never) : pino({ name, level, formatters: { log: redactSecrets } });
}

/** A logger that drops everything (tests, library use without logging). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const SECRET_KEYS = new Set(['password', 'pass', 'token', 'nkeyseed', 'seed', 'credsfile', 'secret', 'authorization']);

/**
 * Replaces secrets in a log record wherever they sit: values of secret-named keys become `***`,
 * and strings holding URLs with credentials are redacted (NATS server lists, connection strings).
 */
export function redactSecrets(obj: Record<string, unknown>): Record<string, unknown> {
  return walk(obj, 0) as Record<string, unknown>;
}

function walk(v: unknown, depth: number): unknown {
  if (depth > 8) return v;
  if (typeof v === 'string') return /:\/\/[^\s/]*@|password=/i.test(v) ? redactUrl(v) : v;
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
  if (v instanceof Error) return v;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.has(k.toLowerCase()) && x !== undefined ? '***' : walk(x, depth + 1);
    return out;
  }
  return v;
}
