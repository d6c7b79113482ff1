import { msError, SessionLock, type DatabaseHandle, type NatsHandle, type Topology, subjectMatcher } from '@mister-smith/core';
import { projectionLockKey } from '../pg/advisoryLock.js';
import { advanceCheckpoint, ensureCheckpoint, readCheckpoint, setCheckpointStatus, type Checkpoint } from '../pg/checkpoints.js';
import type { Db } from '../pg/dbTypes.js';
import type { DeadLetter } from '../pg/deadLetters.js';
import { openStreamReader, type StreamReader, type StreamReaderOptions } from '../read/openStreamReader.js';
import { lastSeqOf, streamState } from '../read/streamState.js';
import type { Projection, ProjectionContext, ProjectionTransaction } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import type { ProjectionState, ProjectionStatus, RebuildProgress } from '../types/ProjectionStatus.js';
import { commitItems } from './commitBatch.js';
import { describeError } from './describeError.js';
import { InterestKeeper, keeperConsumerSpec } from './InterestKeeper.js';
import { isInfrastructureError } from './isInfrastructureError.js';
import { silentLogger, type ProjectionLogger } from './ProjectionLogger.js';
import { RateMeter } from './RateMeter.js';
import { backoffMs, sleep } from '@mister-smith/core/util';

/** Tuning of a projection runner. */
export interface RunnerOptions {
  /** Most events per transaction (default 500). */
  readonly maxBatch?: number;
  /** Attempts of a failing event before it is dead-lettered (default 3). */
  readonly maxAttempts?: number;
  /** Base of the backoff between those attempts, ms (default 25). */
  readonly retryBaseMs?: number;
  /** How often a standby instance tries the lock, ms (default 1000). */
  readonly lockPollMs?: number;
  /** Backoff after an infrastructure failure, ms: first and ceiling (default 250 and 10 000). */
  readonly failureBackoffMs?: readonly [number, number];
  /**
   * A reader that has delivered nothing for this long while the stream holds events past the
   * checkpoint is stalled: it is closed and reopened from the checkpoint (default 10 000 ms).
   */
  readonly stallAfterMs?: number;
}

/** Callbacks for metrics and logs. */
export interface RunnerHooks {
  onCommit?(projection: string, info: { readonly events: number; readonly seq: number; readonly durationMs: number }): void;
  onDeadLetter?(projection: string, letter: DeadLetter): void;
  onState?(projection: string, state: ProjectionState, reason: string | undefined): void;
  /** The reader stalled (nothing delivered while events wait) and is being reopened from the checkpoint. */
  onStall?(projection: string, info: { readonly checkpoint: number; readonly head: number; readonly stalledMs: number }): void;
}

/** What a runner needs. */
export interface RunnerDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: ProjectionLogger;
  readonly hooks?: RunnerHooks;
  /** Opens the stream reader (default `openStreamReader`); fault-injection tests wrap it. */
  readonly openReader?: (nats: NatsHandle, options: StreamReaderOptions) => Promise<StreamReader>;
}

/**
 * Runs one projection: takes its advisory lock (a second instance waits and takes over when the
 * holder's session ends), reads with an ordered consumer from checkpoint + 1, and commits each
 * batch together with a compare-and-set of its checkpoint in one `frameworkTransaction` on the
 * connection that holds the lock. Poison events are isolated, retried and dead-lettered.
 *
 * @example
 * await using runner = new ProjectionRunner(agentRegistryProjection(), { nats, pg, topology });
 * await runner.start();
 * console.log(await runner.status());
 */
export class ProjectionRunner implements AsyncDisposable {
  readonly projection: Projection;
  readonly #deps: RunnerDeps;
  readonly #logger: ProjectionLogger;
  readonly #opts: Required<RunnerOptions>;
  readonly #streamName: string;
  readonly #filter: string | undefined;
  readonly #matches: (subject: string) => boolean;
  readonly #keeper: InterestKeeper | undefined;
  readonly #abort = new AbortController();
  readonly #rate = new RateMeter(10_000);
  #loop: Promise<void> | undefined;
  #state: ProjectionState = 'starting';
  #reason: string | undefined;
  #warning: string | undefined;
  #active = false;
  #pid: number | undefined;
  #checkpoint: Checkpoint = { epoch: 0, seq: 0 };
  #reader: StreamReader | undefined;
  #pauseRequested = false;
  #pausedWaiters: (() => void)[] = [];
  #wakePaused: (() => void) | undefined;
  #resetRequested = false;
  #rebuilding: RebuildProgress | undefined;
  #rebuildingFlag = false;
  #events = 0;
  #deadLettered = 0;
  /** When the checkpoint last moved, or the projection was last seen caught up (ms). */
  #progressAt = Date.now();
  /** When an idle reader was first seen behind the head, since the last progress. */
  #behindSince: number | undefined;
  #readerRestarts = 0;
  #lock: SessionLock | undefined;
  #lockCheckedAt = 0;

  constructor(projection: Projection, deps: RunnerDeps, options: RunnerOptions = {}) {
    if (projection.subjects.length === 0) throw msError('INVALID_ARGUMENT', `projection ${projection.name} reads no subjects`);
    this.projection = projection;
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.#opts = {
      maxBatch: options.maxBatch ?? 500,
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      retryBaseMs: options.retryBaseMs ?? 25,
      lockPollMs: options.lockPollMs ?? 1000,
      failureBackoffMs: options.failureBackoffMs ?? [250, 10_000],
      stallAfterMs: Math.max(200, options.stallAfterMs ?? 10_000),
    };
    const spec = deps.topology.streams[projection.stream];
    this.#streamName = spec.name;
    this.#filter = projection.subjects.length === 1 ? projection.subjects[0] : undefined;
    this.#matches = subjectMatcher(projection.subjects);
    this.#keeper = spec.retention === 'interest'
      ? new InterestKeeper(deps.nats, projection.interestConsumer ?? keeperConsumerSpec(spec.name, projection.name), this.#logger)
      : undefined;
  }

  /** The projection's name. */
  get name(): string {
    return this.projection.name;
  }

  /** The stream's name (namespaced). */
  get stream(): string {
    return this.#streamName;
  }

  /** Whether this instance holds the projection's lock. */
  get active(): boolean {
    return this.#active;
  }

  /** The local state. */
  get state(): ProjectionState {
    return this.#state;
  }

  /** The PostgreSQL backend pid of the connection holding the lock (tests use it to cut the connection). */
  get backendPid(): number | undefined {
    return this.#pid;
  }

  /**
   * Creates what must exist before events are published (the interest-keeping durable consumer of
   * an interest-retention stream) and starts the run loop. Resolves once that is done, not when
   * the lock is taken.
   */
  async start(): Promise<void> {
    if (this.#loop) return;
    await this.#keeper?.ensure();
    this.#loop = this.#run();
  }

  /** Stops after the batch in flight; releases the lock. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wakePaused?.();
    await this.#reader?.stop();
    await this.#loop;
    this.#setState('stopped');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Pauses: resolves once no batch is in flight and the reader is closed. The lock stays held, so
   * no other instance takes over. A standby instance stays paused when it becomes active.
   */
  async pause(): Promise<Checkpoint> {
    this.#pauseRequested = true;
    if (!this.#active || this.#state === 'paused') {
      if (!this.#active) this.#setState('paused');
      return this.#checkpoint;
    }
    const reached = new Promise<void>((r) => this.#pausedWaiters.push(r));
    await this.#reader?.stop();
    await Promise.race([reached, new Promise<void>((r) => this.#abort.signal.addEventListener('abort', () => r(), { once: true }))]);
    return this.#checkpoint;
  }

  /** Resumes from the checkpoint (re-read, so a rebuild's swap is picked up). */
  resume(): void {
    this.#pauseRequested = false;
    this.#wakePaused?.();
    if (!this.#active && this.#state === 'paused') this.#setState('standby');
  }

  /** Marks the projection as rebuilding (status), with its progress. */
  setRebuild(progress: RebuildProgress | undefined, rebuilding: boolean): void {
    this.#rebuilding = progress;
    if (rebuilding !== this.#rebuildingFlag) {
      this.#rebuildingFlag = rebuilding;
      this.#setState(this.#state);
    }
  }

  /** Checkpoint, head, lag, state and rate. */
  async status(): Promise<ProjectionStatus> {
    const { nats, pg } = this.#deps;
    const st = await streamState(nats, this.#streamName);
    const head = await this.#headOf(st);
    let checkpoint = this.#checkpoint;
    let reason = this.#reason ?? this.#warning;
    const state = this.#publicState();
    if (!this.#active) {
      const row = await readCheckpoint(pg.db, this.name);
      if (row) {
        checkpoint = { epoch: row.epoch, seq: row.seq };
        if (state === 'standby') reason = `another instance holds the lock (recorded state: ${row.status}${row.reason ? `: ${row.reason}` : ''})`;
      }
    }
    const lag = checkpoint.epoch !== 0 && checkpoint.epoch !== st.epoch ? head : Math.max(0, head - checkpoint.seq);
    const stalledMs = this.#stalledMs(lag);
    if (stalledMs > 0 && this.#reason === undefined) {
      reason = `stalled: checkpoint ${checkpoint.seq} has not moved for ${Math.round(stalledMs / 1000)} s while the stream holds events up to ${head}; reader reopened ${this.#readerRestarts} time(s)`;
    }
    return {
      name: this.name,
      stream: this.#streamName,
      state,
      ...(reason !== undefined ? { reason } : {}),
      active: this.#active,
      checkpoint,
      head,
      lag,
      streamFirstSeq: st.firstSeq,
      rate: this.#rate.perSecond(),
      eventsProjected: this.#events,
      deadLettered: this.#deadLettered,
      stalledMs,
      readerRestarts: this.#readerRestarts,
      ...(this.#rebuilding ? { rebuild: this.#rebuilding } : {}),
    };
  }

  /** The last sequence this projection reads: its filter's last message, or the stream's. */
  async #headOf(st: { readonly lastSeq: number }): Promise<number> {
    const { nats, topology } = this.#deps;
    return this.#filter !== undefined ? lastSeqOf(nats, this.#streamName, topology.namespace, this.#filter) : st.lastSeq;
  }

  /** How long a running projection has had events waiting without its checkpoint moving (0 below the stall threshold). */
  #stalledMs(lag: number): number {
    if (!this.#active || this.#state !== 'running' || this.#pauseRequested || lag === 0) return 0;
    const ms = Date.now() - this.#progressAt;
    return ms >= this.#opts.stallAfterMs ? ms : 0;
  }

  #progressed(): void {
    this.#progressAt = Date.now();
    this.#behindSince = undefined;
  }

  /**
   * Called when the reader delivered nothing for a while: true when it is stalled (the stream holds
   * events past the checkpoint and nothing came for \`stallAfterMs\`), so the caller reopens it. An
   * ordered consumer can go silent for good after a stream-leader change (its server is gone and
   * nats.js neither sees heartbeats missed nor recreates it); reopening from the checkpoint is safe.
   */
  async #readerStalled(cp: Checkpoint): Promise<boolean> {
    let head: number;
    try {
      // The last message that still exists (an empty stream, or one whose newest messages were
      // removed, has nothing more to deliver, whatever its last sequence was).
      const st = await streamState(this.#deps.nats, this.#streamName);
      head = st.messages === 0 ? 0 : await lastSeqOf(this.#deps.nats, this.#streamName, this.#deps.topology.namespace, this.#filter ?? '>');
    } catch (e) {
      // The stream is unreachable (a leader election): the reader cannot read either; look again later.
      this.#logger.debug({ projection: this.name, err: e }, 'could not read the head while the reader is idle');
      return false;
    }
    const now = Date.now();
    if (head <= cp.seq) { this.#progressed(); return false; }
    this.#behindSince ??= now;
    if (now - this.#behindSince < this.#opts.stallAfterMs) return false;
    this.#behindSince = undefined;
    this.#readerRestarts++;
    const stalledMs = now - this.#progressAt;
    this.#logger.warn({ projection: this.name, checkpoint: cp.seq, head, stalledMs, restarts: this.#readerRestarts },
      `projection ${this.name} stalled: nothing delivered for ${Math.round(stalledMs / 1000)} s while the stream holds events up to ${head} (checkpoint ${cp.seq}); reopening its reader`);
    this.#deps.hooks?.onStall?.(this.name, { checkpoint: cp.seq, head, stalledMs });
    return true;
  }

  #publicState(): ProjectionState {
    if (this.#rebuildingFlag && (this.#state === 'running' || this.#state === 'paused')) return 'rebuilding';
    return this.#state;
  }

  #setState(state: ProjectionState, reason?: string): void {
    const changed = state !== this.#state || reason !== this.#reason;
    this.#state = state;
    this.#reason = reason;
    if (!changed) return;
    this.#deps.hooks?.onState?.(this.name, this.#publicState(), reason);
    if (this.#active && state !== 'stopped') {
      setCheckpointStatus(this.#deps.pg.db, this.name, this.#publicState(), reason ?? null).catch((e: unknown) => {
        this.#logger.warn({ projection: this.name, err: e }, 'could not record the projection state');
      });
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    const signal = this.#abort.signal;
    const lock = this.#lock = new SessionLock(this.#deps.pg, projectionLockKey(this.name), {
      onLost: (e) => {
        // The session holding the lock is gone (and the lock with it): stop reading; the loop
        // below sees the failed batch, releases and stands for election again.
        this.#logger.warn({ projection: this.name, err: e }, `projection ${this.name} lost its lock session`);
        this.#active = false;
        void this.#reader?.stop();
      },
      rejoinDelayMs: 2 * this.#opts.lockPollMs,
    });
    try {
      while (!signal.aborted) {
        try {
          const acquired = await this.#withLock(lock);
          failures = 0;
          if (!acquired) {
            if (this.#state !== 'paused') this.#setState('standby');
            await sleep(this.#opts.lockPollMs, signal);
          }
        } catch (e) {
          if (signal.aborted) break;
          failures++;
          const reason = describeError(e);
          this.#setState('failed', reason);
          this.#logger.error({ projection: this.name, err: e, failures }, `projection ${this.name} failed; retrying`);
          await sleep(backoffMs(failures, { baseMs: this.#opts.failureBackoffMs[0], maxMs: this.#opts.failureBackoffMs[1], jitter: 'equal' }), signal);
        }
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  /** Stands for election once: false when another instance holds the lock; else runs until stopped or the session fails. */
  async #withLock(lock: SessionLock): Promise<boolean> {
    if (!(await lock.tryAcquire())) return false;
    this.#active = true;
    this.#progressed();
    this.#pid = lock.pid;
    this.#logger.info({ projection: this.name, pid: this.#pid }, `projection ${this.name} took its lock`);
    try {
      await this.#activeLoop(lock.db);
    } finally {
      this.#active = false;
      this.#pid = undefined;
      // The lock and its session go together: releasing closes the session (a lock left behind
      // would block every other instance); a session already gone released it on the server.
      await lock.release().catch((e: unknown) => {
        if (!isInfrastructureError(e)) throw e;
      });
    }
    return true;
  }

  async #activeLoop(conn: Db): Promise<void> {
    const { nats, topology } = this.#deps;
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        if (this.#pauseRequested) {
          await this.#sitPaused();
          continue;
        }
        const st = await streamState(nats, this.#streamName);
        let cp: Checkpoint = await ensureCheckpoint(conn, this.name, this.#streamName, st.epoch);
        cp = { epoch: cp.epoch, seq: cp.seq };
        if (cp.epoch !== st.epoch) {
          const fields = { projection: this.name, stream: this.#streamName, oldEpoch: cp.epoch, newEpoch: st.epoch, checkpoint: cp.seq };
          // A memory stream (AGENT_MESSAGES) is new after every nats-server restart: expected, not a warning.
          if (st.memory) this.#logger.info(fields, `stream ${this.#streamName} keeps its messages in memory and is new since the nats-server restarted; ${this.name} starts from its first sequence`);
          else this.#logger.warn(fields, `stream ${this.#streamName} was recreated; ${this.name} restarts from the new stream's first sequence (rows keep their versions; newer epochs win)`);
          const next = { epoch: st.epoch, seq: 0 };
          if (!(await advanceCheckpoint(conn, this.name, cp, next))) continue;
          cp = next;
        }
        this.#warning = undefined;
        if (st.lastSeq > cp.seq && cp.seq + 1 < st.firstSeq) {
          this.#warning = `events ${cp.seq + 1}..${st.firstSeq - 1} left the stream before ${this.name} projected them: rebuild it from the archive`;
          this.#logger.error({ projection: this.name, checkpoint: cp.seq, firstSeq: st.firstSeq }, this.#warning);
        }
        this.#checkpoint = cp;
        await this.#keeper?.start(cp.seq);
        this.#resetRequested = false;
        const opened: { reader?: StreamReader } = {};
        const reader = await (this.#deps.openReader ?? openStreamReader)(nats, {
          stream: this.#streamName, namespace: topology.namespace, epoch: st.epoch, fromSeq: cp.seq + 1,
          ...(this.#filter !== undefined ? { filter: this.#filter } : {}),
          pull: Math.max(100, this.#opts.maxBatch),
          onReset: (why) => {
            this.#resetRequested = true;
            this.#logger.debug({ projection: this.name, why }, 'reader reset');
            // A recreated stream may deliver nothing at the old position: look now, not at the next batch.
            if (why === 'ordered_consumer_recreated') void this.#closeIfRecreated(st.epoch, () => opened.reader);
          },
        });
        opened.reader = reader;
        this.#reader = reader;
        if (this.#state !== 'running' || this.#reason !== undefined) this.#setState('running');
        let generation = 0;
        // Idle checks often enough to notice a stall soon after stallAfterMs.
        const idleMs = Math.min(1000, Math.floor(this.#opts.stallAfterMs / 4));
        try {
          while (!signal.aborted && !this.#pauseRequested) {
            const items = await reader.next(this.#opts.maxBatch, idleMs);
            if (!items) break;
            if (items.length === 0) {
              if (await this.#readerStalled(cp)) break;
              // Idle: nothing tells a dead lock session apart from a quiet stream, so ask PostgreSQL
              // now and then (after a restart another instance may hold the lock already).
              if (!(await this.#lockAlive())) break;
              continue;
            }
            if (this.#resetRequested || reader.generation !== generation) {
              // The consumer was recreated: the stream may be a new incarnation whose sequences restart.
              this.#resetRequested = false;
              generation = reader.generation;
              if ((await streamState(nats, this.#streamName)).epoch !== cp.epoch) break;
            }
            const fresh = items.filter((i) => i.seq > cp.seq);
            if (fresh.length === 0) continue;
            cp = await this.#commitBatch(conn, cp, fresh);
            this.#progressed();
          }
        } finally {
          this.#reader = undefined;
          await reader.stop();
        }
      }
    } finally {
      await this.#keeper?.stop();
    }
  }

  async #lockAlive(): Promise<boolean> {
    const lock = this.#lock;
    if (!lock || Date.now() - this.#lockCheckedAt < 2000) return true;
    this.#lockCheckedAt = Date.now();
    return lock.check();
  }

  async #closeIfRecreated(epoch: number, reader: () => StreamReader | undefined): Promise<void> {
    try {
      const st = await streamState(this.#deps.nats, this.#streamName);
      if (st.epoch !== epoch) await reader()?.stop();
    } catch (e) {
      this.#logger.warn({ projection: this.name, err: e }, 'could not check the stream after its consumer was recreated; checking again at the next batch');
    }
  }

  async #sitPaused(): Promise<void> {
    this.#setState('paused');
    for (const w of this.#pausedWaiters.splice(0)) w();
    await new Promise<void>((r) => {
      this.#wakePaused = r;
      if (!this.#pauseRequested || this.#abort.signal.aborted) r();
    });
    this.#wakePaused = undefined;
  }

  async #commitBatch(conn: Db, start: Checkpoint, items: readonly ProjectionItem[]): Promise<Checkpoint> {
    const startedAt = Date.now();
    const outcome = await commitItems(conn, {
      projection: this.projection,
      stream: this.#streamName,
      context: (trx) => this.#context(trx),
      ...(this.#filter === undefined ? { matches: this.#matches } : {}),
      maxAttempts: this.#opts.maxAttempts,
      retryBaseMs: this.#opts.retryBaseMs,
      signal: this.#abort.signal,
      isInfrastructure: (e) => this.#isInfrastructure(conn, e),
      advancesCheckpoint: true,
      onCommitted: (part, dls, to) => {
        this.#checkpoint = to;
        this.#keeper?.advance(to.seq);
        this.#events += part.length;
        this.#rate.add(part.length);
        for (const l of dls) {
          this.#deadLettered++;
          this.#logger.warn({ projection: this.name, seq: l.seq, subject: l.subject, reason: l.reason, attempts: l.attempts }, 'event dead-lettered');
          this.#deps.hooks?.onDeadLetter?.(this.name, l);
        }
      },
    }, start, start.epoch, items);
    this.#deps.hooks?.onCommit?.(this.name, { events: outcome.accepted, seq: outcome.checkpoint.seq, durationMs: Date.now() - startedAt });
    return outcome.checkpoint;
  }

  async #isInfrastructure(conn: Db, e: unknown): Promise<boolean> {
    if (isInfrastructureError(e)) return true;
    try {
      await conn.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
      await this.#deps.nats.nc.flush();
      return false;
    } catch (probe) {
      this.#logger.warn({ projection: this.name, err: probe }, 'health probe failed after a batch error: not blaming the events');
      return true;
    }
  }

  #context(trx: ProjectionTransaction): ProjectionContext {
    return { trx, mode: 'live', table: (t) => t, nats: this.#deps.nats, topology: this.#deps.topology };
  }
}
