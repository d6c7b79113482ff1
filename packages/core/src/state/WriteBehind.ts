import type { Logger } from 'pino';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { StateRow } from '../pg/upsertStateRows.js';
import type { StateRepository } from './StateRepository.js';
import type { CommandResult } from '../commands/CommandResult.js';
import { compareVersions } from '../events/EventEnvelope.js';
import type { StateMetrics } from '../observability/coreMetrics.js';
import type { FlushReport } from './StateStore.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';

/** Options of the write-behind buffer. */
export interface WriteBehindOptions {
  readonly threshold: number;
  readonly intervalMs: number;
  readonly maxBackoffMs?: number;
  readonly logger: Logger;
  readonly metrics: StateMetrics;
}

const EMPTY: FlushReport = { rows: 0, written: 0, skipped: 0, transactions: 0, durationMs: 0 };

/** Which dirty rows a flush takes: state rows are tested as they are, command results as `{ agentId }`. */
export type FlushFilter = (row: { readonly agentId: string; readonly stateKey?: string }) => boolean;

/**
 * Dirty state rows waiting for PostgreSQL. Flushes them in one transaction (one multi-row
 * statement) when `threshold` keys are dirty, every `intervalMs`, and on demand. A failed flush
 * keeps the rows dirty and retries with exponential backoff, so nothing is lost while
 * PostgreSQL is down. One flush runs at a time.
 *
 * Command results ride along: a flush that writes state rows of an agent also writes every
 * pending command result of that agent, in the same transaction, so `agents.state`'s head never
 * passes a command whose result is not in `mister_smith.command_results`.
 */
export class WriteBehind {
  readonly #repository: Pick<StateRepository, 'upsert'>;
  readonly #opts: WriteBehindOptions;
  readonly #dirty = new Map<string, StateRow>();
  readonly #commands = new Map<string, CommandResult>();
  readonly #listeners = new Set<(r: FlushReport) => void>();
  #running: Promise<FlushReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(repository: Pick<StateRepository, 'upsert'>, options: WriteBehindOptions) {
    this.#repository = repository;
    this.#opts = options;
  }

  get size(): number {
    return this.#dirty.size;
  }

  /** Marks a row dirty (keeping the newest version per key) and flushes at the threshold. */
  add(row: StateRow): void {
    const k = `${row.agentId}.${row.stateKey}`;
    const prev = this.#dirty.get(k);
    if (!prev || compareVersions(prev, row) < 0) this.#dirty.set(k, row);
    this.#opts.metrics.dirtyKeys.set(this.#dirty.size);
    if (this.#dirty.size >= this.#opts.threshold && !this.#running) void this.flush().catch(() => undefined);
    else this.#schedule(this.#opts.intervalMs);
  }

  /** Marks a command result dirty; it is written with the next flush of its agent. */
  addCommand(result: CommandResult): void {
    const k = `${result.agentId}\u0000${result.commandId}`;
    if (!this.#commands.has(k)) this.#commands.set(k, result);
    this.#schedule(this.#opts.intervalMs);
  }

  onFlush(listener: (r: FlushReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Flushes the dirty rows matching `filter` (all by default); waits for a running flush first. */
  async flush(filter?: FlushFilter): Promise<FlushReport> {
    while (this.#running) await this.#running.catch(() => undefined);
    const rows = [...this.#dirty.values()].filter((r) => !filter || filter(r));
    const agents = new Set(rows.map((r) => r.agentId));
    const commands = [...this.#commands.values()].filter((c) => !filter || agents.has(c.agentId) || filter({ agentId: c.agentId }));
    if (rows.length === 0 && commands.length === 0) return EMPTY;
    const run = this.#write(rows, commands);
    this.#running = run;
    try {
      return await run;
    } finally {
      this.#running = undefined;
    }
  }

  async #write(rows: StateRow[], commands: CommandResult[]): Promise<FlushReport> {
    const started = performance.now();
    const stop = this.#opts.metrics.flushSeconds.startTimer();
    try {
      const r = await this.#repository.upsert(rows, commands);
      for (const c of commands) this.#commands.delete(`${c.agentId}\u0000${c.commandId}`);
      for (const row of rows) {
        const k = `${row.agentId}.${row.stateKey}`;
        const cur = this.#dirty.get(k);
        if (cur && compareVersions(cur, row) <= 0) this.#dirty.delete(k);
      }
      this.#failures = 0;
      const report: FlushReport = { rows: rows.length, written: r.written, skipped: r.skipped, transactions: 1, durationMs: performance.now() - started };
      this.#opts.metrics.flushes.inc({ result: 'ok' });
      this.#opts.metrics.flushRows.inc(r.written);
      this.#opts.metrics.dirtyKeys.set(this.#dirty.size);
      for (const l of this.#listeners) l(report);
      if (this.#dirty.size > 0 || this.#commands.size > 0) this.#schedule(this.#opts.intervalMs);
      return report;
    } catch (e) {
      this.#failures++;
      this.#opts.metrics.flushes.inc({ result: 'error' });
      const backoff = backoffMs(this.#failures + 1, { baseMs: 200, maxMs: this.#opts.maxBackoffMs ?? 30_000 });
      this.#opts.logger.warn({ err: e, rows: rows.length, retryInMs: backoff }, 'flush to PostgreSQL failed; rows stay dirty');
      this.#schedule(backoff, true);
      throw MisterSmithError.is(e) ? e : msError('POSTGRES_UNAVAILABLE', `flush of ${rows.length} rows to PostgreSQL failed (they stay dirty and are retried): ${(e as Error)?.message ?? String(e)}`, { cause: e, details: { rows: rows.length } });
    } finally {
      stop();
    }
  }

  #schedule(ms: number, replace = false): void {
    if (this.#closed) return;
    if (this.#timer && !replace) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty.size > 0 || this.#commands.size > 0) void this.flush().catch(() => undefined);
    }, ms);
    this.#timer.unref();
  }

  /** Final flush (bounded attempts) and timer stop. Returns rows that could not be written. */
  async close(attempts = 3): Promise<number> {
    for (let i = 0; i < attempts && (this.#dirty.size > 0 || this.#commands.size > 0); i++) {
      try { await this.flush(); } catch { await sleep(200 * (i + 1)); }
    }
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#dirty.size;
  }
}
