import type { Logger } from 'pino';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { StateRow } from '../pg/upsertStateRows.js';
import { compareVersions } from '../events/EventEnvelope.js';
import type { StateMetrics } from '../observability/coreMetrics.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';
import type { FlushReport } from './StateStore.js';
import type { StateRepository } from './StateRepository.js';
import type { CommandResult } from '../commands/CommandResult.js';

/** When an agent's dirty rows are flushed: at `threshold` dirty keys, and at least every `intervalMs`. */
export interface FlushPolicy {
  readonly threshold: number;
  readonly intervalMs: number;
}

/** Options of the write-behind buffer. */
export interface WriteBehindOptions {
  /** Dirty keys in the whole buffer that start a flush of everything. */
  readonly threshold: number;
  /** How long a dirty agent waits at most, unless its own policy says otherwise. */
  readonly intervalMs: number;
  readonly maxBackoffMs?: number;
  readonly logger: Logger;
  readonly metrics: StateMetrics;
  /** Injectable wall clock (tests). */
  readonly now?: () => number;
}

const EMPTY: FlushReport = { rows: 0, written: 0, skipped: 0, transactions: 0, durationMs: 0 };

/** Which dirty rows a flush takes: state rows are tested as they are, command results as `{ agentId }`. */
export type FlushFilter = (row: { readonly agentId: string; readonly stateKey?: string }) => boolean;

interface Waiter {
  readonly filter: FlushFilter | undefined;
  readonly resolve: (r: FlushReport) => void;
  readonly reject: (e: unknown) => void;
}

interface DirtyAgent {
  /** Dirty state rows and command results of the agent. */
  rows: number;
  /** When the agent's oldest unflushed row is due. */
  due: number;
}

/**
 * Dirty state rows waiting for PostgreSQL, and the one owner of flushing them: at the buffer's
 * threshold, when an agent reaches its policy's threshold or interval (an agent type's
 * `flushThreshold` / `flushIntervalMs`), and on demand.
 *
 * Group commit: one flush transaction is in flight at a time and the next batch forms behind it.
 * A `flush(filter)` resolves when a transaction that started after the call, and so contains the
 * rows it asked for, has committed: concurrent PostgreSQL-durable writes share transactions. A
 * failed flush keeps the rows dirty and retries with exponential backoff, so nothing is lost while
 * PostgreSQL is down.
 *
 * Command results ride along: a flush that writes state rows of an agent also writes every
 * pending command result of that agent, in the same transaction, so `agents.state`'s head never
 * passes a command whose result is not in `mister_smith.command_results`.
 */
export class WriteBehind {
  readonly #repository: Pick<StateRepository, 'upsert'>;
  readonly #opts: WriteBehindOptions;
  readonly #now: () => number;
  readonly #dirty = new Map<string, StateRow>();
  readonly #commands = new Map<string, CommandResult>();
  readonly #agents = new Map<string, DirtyAgent>();
  readonly #policies = new Map<string, FlushPolicy>();
  readonly #listeners = new Set<(r: FlushReport) => void>();
  #waiters: Waiter[] = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  #failures = 0;
  #closed = false;

  constructor(repository: Pick<StateRepository, 'upsert'>, options: WriteBehindOptions) {
    this.#repository = repository;
    this.#opts = options;
    this.#now = options.now ?? Date.now;
  }

  /** Dirty keys. */
  get size(): number {
    return this.#dirty.size;
  }

  /** Sets (or, with undefined, clears) an agent's flush policy; it applies from the agent's next dirty row. */
  setPolicy(agentId: string, policy: FlushPolicy | undefined): void {
    if (policy) this.#policies.set(agentId, policy); else this.#policies.delete(agentId);
  }

  #policyOf(agentId: string): FlushPolicy {
    return this.#policies.get(agentId) ?? this.#opts;
  }

  /** Marks a row dirty (keeping the newest version per key) and flushes when a threshold is reached. */
  add(row: StateRow): void {
    const k = `${row.agentId}.${row.stateKey}`;
    const prev = this.#dirty.get(k);
    if (prev && compareVersions(prev, row) >= 0) return;
    this.#dirty.set(k, row);
    this.#opts.metrics.dirtyKeys.set(this.#dirty.size);
    if (prev) return;
    const agent = this.#dirtyAgent(row.agentId);
    if (agent.rows >= this.#policyOf(row.agentId).threshold || this.#dirty.size >= this.#opts.threshold) this.#kick();
    else this.#arm(agent.due);
  }

  /** Marks a command result dirty; it is written with the next flush of its agent. */
  addCommand(result: CommandResult): void {
    const k = `${result.agentId}\u0000${result.commandId}`;
    if (this.#commands.has(k)) return;
    this.#commands.set(k, result);
    this.#arm(this.#dirtyAgent(result.agentId).due);
  }

  #dirtyAgent(agentId: string): DirtyAgent {
    let agent = this.#agents.get(agentId);
    if (!agent) {
      agent = { rows: 0, due: this.#now() + this.#policyOf(agentId).intervalMs };
      this.#agents.set(agentId, agent);
    }
    agent.rows++;
    return agent;
  }

  #clean(agentId: string): void {
    const a = this.#agents.get(agentId);
    if (a && --a.rows <= 0) this.#agents.delete(agentId);
  }

  onFlush(listener: (r: FlushReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Flushes the dirty rows matching `filter` (all by default) in the next flush transaction;
   * resolves with that transaction's report once it committed.
   */
  flush(filter?: FlushFilter): Promise<FlushReport> {
    return new Promise<FlushReport>((resolve, reject) => {
      this.#waiters.push({ filter, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#rounds();
  }

  /** Runs flush transactions one after the other while there are waiters or due rows. */
  async #rounds(): Promise<void> {
    try {
      await this.#loop();
    } finally {
      // Synchronously with the last check of the loop: a request made after it starts a new run.
      this.#running = undefined;
      if (this.#waiters.length > 0) this.#kick();
    }
  }

  async #loop(): Promise<void> {
    // Let the writes of this tick join the first transaction.
    await Promise.resolve();
    for (;;) {
      const waiters = this.#waiters;
      this.#waiters = [];
      const { rows, commands } = this.#select(waiters);
      if (rows.length === 0 && commands.length === 0) {
        for (const w of waiters) w.resolve(EMPTY);
        if (this.#waiters.length === 0) { this.#rearm(); return; }
        continue;
      }
      try {
        const report = await this.#write(rows, commands);
        for (const w of waiters) w.resolve(report);
      } catch (e) {
        for (const w of waiters) w.reject(e);
        if (this.#waiters.length === 0) return; // the backoff timer retries
        continue;
      }
      if (this.#waiters.length === 0 && !this.#anyDue()) { this.#rearm(); return; }
    }
  }

  #anyDue(): boolean {
    if (this.#dirty.size >= this.#opts.threshold && (this.#dirty.size > 0 || this.#commands.size > 0)) return true;
    const now = this.#now();
    for (const [id, a] of this.#agents) if (a.due <= now || a.rows >= this.#policyOf(id).threshold) return true;
    return false;
  }

  /** The rows of the next transaction: what waiters asked for, plus every agent that is due, with their command results. */
  #select(waiters: readonly Waiter[]): { rows: StateRow[]; commands: CommandResult[] } {
    if (waiters.some((w) => w.filter === undefined) || this.#dirty.size >= this.#opts.threshold) {
      return { rows: [...this.#dirty.values()], commands: [...this.#commands.values()] };
    }
    const now = this.#now();
    const due = new Set<string>();
    for (const [id, a] of this.#agents) if (a.due <= now || a.rows >= this.#policyOf(id).threshold) due.add(id);
    const rows: StateRow[] = [];
    for (const r of this.#dirty.values()) if (due.has(r.agentId) || waiters.some((w) => w.filter!(r))) rows.push(r);
    const agents = new Set(rows.map((r) => r.agentId));
    const commands = [...this.#commands.values()].filter((c) => due.has(c.agentId) || agents.has(c.agentId) || waiters.some((w) => w.filter!({ agentId: c.agentId })));
    return { rows, commands };
  }

  async #write(rows: StateRow[], commands: CommandResult[]): Promise<FlushReport> {
    const started = performance.now();
    const stop = this.#opts.metrics.flushSeconds.startTimer();
    try {
      const r = await this.#repository.upsert(rows, commands);
      for (const c of commands) if (this.#commands.delete(`${c.agentId}\u0000${c.commandId}`)) this.#clean(c.agentId);
      const now = this.#now();
      for (const row of rows) {
        const k = `${row.agentId}.${row.stateKey}`;
        const cur = this.#dirty.get(k);
        if (cur && compareVersions(cur, row) <= 0) {
          this.#dirty.delete(k);
          this.#clean(row.agentId);
        } else {
          // Written again during the flush: due one interval from now.
          const a = this.#agents.get(row.agentId);
          if (a) a.due = Math.max(a.due, now + this.#policyOf(row.agentId).intervalMs);
        }
      }
      this.#failures = 0;
      const report: FlushReport = { rows: rows.length, written: r.written, skipped: r.skipped, transactions: 1, durationMs: performance.now() - started };
      this.#opts.metrics.flushes.inc({ result: 'ok' });
      this.#opts.metrics.flushRows.inc(r.written);
      this.#opts.metrics.dirtyKeys.set(this.#dirty.size);
      for (const l of this.#listeners) l(report);
      return report;
    } catch (e) {
      this.#failures++;
      this.#opts.metrics.flushes.inc({ result: 'error' });
      const backoff = backoffMs(this.#failures + 1, { baseMs: 200, maxMs: this.#opts.maxBackoffMs ?? 30_000 });
      this.#opts.logger.warn({ err: e, rows: rows.length, retryInMs: backoff }, 'flush to PostgreSQL failed; rows stay dirty');
      // Every dirty agent is due again after the backoff.
      const retryAt = this.#now() + backoff;
      for (const a of this.#agents.values()) a.due = Math.max(a.due, retryAt);
      this.#arm(retryAt, true);
      throw MisterSmithError.is(e) ? e : msError('POSTGRES_UNAVAILABLE', `flush of ${rows.length} rows to PostgreSQL failed (they stay dirty and are retried): ${(e as Error)?.message ?? String(e)}`, { cause: e, details: { rows: rows.length } });
    } finally {
      stop();
    }
  }

  /** Arms the timer for the earliest due agent. */
  #rearm(): void {
    let earliest = Infinity;
    for (const a of this.#agents.values()) earliest = Math.min(earliest, a.due);
    if (earliest < Infinity) this.#arm(earliest, true);
  }

  #arm(at: number, replace = false): void {
    if (this.#closed) return;
    if (this.#timer && !replace && this.#timerDue <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      if (this.#dirty.size > 0 || this.#commands.size > 0) this.#kick();
    }, Math.max(0, at - this.#now()));
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
    await this.#running;
    return this.#dirty.size;
  }
}
