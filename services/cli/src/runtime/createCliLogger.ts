import { Writable } from 'node:stream';
import PinoPretty from 'pino-pretty';
import { pino, type Logger } from 'pino';
import type { Output } from '../cli/Output.js';

/** Options of `createCliLogger`. */
export interface CliLoggerOptions {
  /** Long-running roles log at `info`; one-shot commands only at `warn` (both overridden by LOG_LEVEL). */
  readonly service: boolean;
  /** On a terminal, pretty lines go through the output so its live line stays intact. */
  readonly output?: Output;
  readonly level?: string;
  /**
   * Entries (warning level and below) to leave out, e.g. the demo's failures made on purpose. Sees
   * the fields given at the call (`{ taskId }`, `{ subject }`), not the child bindings.
   */
  readonly quiet?: (fields: Readonly<Record<string, unknown>>) => boolean;
}

const redact = { paths: ['password', 'pass', 'token', 'nkeySeed', '*.password', '*.pass', '*.token', 'config.nats.pass', 'config.nats.token', 'databaseUrl'], censor: '***' };

/**
 * The CLI's pino logger: pretty, colourised lines on a terminal (written through the `Output`, so
 * they scroll above the live status line), JSON lines on stderr otherwise, keeping stdout for the
 * command's own (possibly `--json`) output.
 */
export function createCliLogger(name: string, options: CliLoggerOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (options.service ? 'info' : 'warn');
  const out = options.output;
  const quiet = options.quiet;
  const hooks = quiet ? {
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void, levelNumber: number) {
        const fields = args[0];
        if (levelNumber <= 40 && typeof fields === 'object' && fields !== null && quiet(fields as Record<string, unknown>)) return;
        method.apply(this, args);
      },
    },
  } : {};
  if (out?.interactive) {
    const stream = PinoPretty({
      colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true,
      destination: new Writable({ write(chunk: Buffer | string, _enc, done) { out.write(chunk.toString()); done(); } }),
    });
    return pino({ name, level, redact, ...hooks }, stream);
  }
  return pino({ name, level, redact, ...hooks }, pino.destination({ fd: 2, sync: true }));
}
