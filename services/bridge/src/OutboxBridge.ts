import { backoffMs } from '@mister-smith/core/util';
import { JetStreamEventLog, MisterSmithError, msError, SessionLock, type EventLog } from '@mister-smith/core';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Bridge, BridgeError, BridgeOptions, BridgeState, BridgeStatus } from './Bridge.js';
import { BRIDGE_LOCK_KEY, OUTBOX_CHANNEL } from './BridgeLock.js';
import { createBridgeMetrics, type BridgeMetrics } from './bridgeMetrics.js';
import { OutboxStore, type OutboxStats } from './OutboxStore.js';
import { publishOutboxBatch } from './publishOutboxBatch.js';
import type { OutboxRoute } from './routeOutboxRow.js';
import { Wakeup } from './Wakeup.js';

type Tuning = Required<Omit<BridgeOptions, 'pg' | 'nats' | 'topology' | 'logger' | 'registry' | 'maxInlineBytes'>>;

const DEFAULTS: Tuning = {
  batchSize: 256,
  maxBatchBytes: 16 * 1024 * 1024,
  pollIntervalMs: 1000,
  lockRetryMs: 500,
  retentionMs: 60 * 60 * 1000,
  payloadRetentionMs: 7 * 24 * 60 * 60 * 1000,
  pruneIntervalMs: 30_000,
  pruneBatchSize: 1000,
  lockKey: BRIDGE_LOCK_KEY,
  maxBackoffMs: 10_000,
  publishTimeoutMs: 5000,
};

/** Room left for headers (Nats-Msg-Id, event type, traceparent) under the message size limits. */
const HEADER_RESERVE_BYTES = 1024;
/** Depth and age are measured at most this often while rows flow. */
const STATS_INTERVAL_MS = 1000;

/**
 * The bridge behind `createBridge`: one loop that waits for the lock, then publishes outbox batches
 * whenever it is woken (NOTIFY, the fallback poll, a full batch) and retries failures with backoff.
 */
export class OutboxBridge implements Bridge {
  readonly registry: Registry;
  readonly #o: Tuning;
  readonly #options: BridgeOptions;
  readonly #log: Logger;
  readonly #metrics: BridgeMetrics;
  readonly #store: OutboxStore;
  readonly #lock: SessionLock;
  readonly #logs: Readonly<Record<OutboxRoute, EventLog>>;
  readonly #inlineLimit: Readonly<Record<OutboxRoute, number>>;
  readonly #wakeup = new Wakeup();
  #state: BridgeState = 'idle';
  #stopping = false;
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #firstAttempt: { promise: Promise<void>; resolve: () => void };
  #systemId: string | undefined;
  #counts = { published: 0, deduplicated: 0, byReference: 0, deadLettered: 0 };
  #stats: OutboxStats = { depth: 0, oldestAgeMs: 0 };
  #statsAt = 0;
  #prunedAt = 0;
  #lockFailures = 0;
  #lastError: BridgeError | null = null;

  constructor(options: BridgeOptions) {
    this.#options = options;
    const given = options as Partial<Tuning>;
    this.#o = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, given[k as keyof Tuning] ?? v])) as Tuning;
    for (const k of ['batchSize', 'maxBatchBytes', 'pollIntervalMs', 'lockRetryMs', 'pruneIntervalMs', 'pruneBatchSize', 'maxBackoffMs', 'publishTimeoutMs'] as const) {
      if (!(Number.isFinite(this.#o[k]) && this.#o[k] > 0)) throw msError('INVALID_CONFIG', `bridge option ${k} must be a positive number, got ${this.#o[k]}`);
    }
    for (const k of ['retentionMs', 'payloadRetentionMs'] as const) {
      if (!(Number.isFinite(this.#o[k]) && this.#o[k] >= 0)) throw msError('INVALID_CONFIG', `bridge option ${k} must be >= 0, got ${this.#o[k]}`);
    }
    this.#log = (options.logger ?? pino({ name: 'mister-smith-bridge' })).child({ component: 'bridge' });
    this.registry = options.registry ?? new Registry();
    this.#metrics = createBridgeMetrics(this.registry);
    this.#store = new OutboxStore(options.pg);
    // The one election helper of the project (the projection runners use it too): a session
    // advisory lock on a dedicated connection, which also LISTENs for outbox notifications.
    this.#lock = new SessionLock(options.pg, this.#o.lockKey, {
      listen: [OUTBOX_CHANNEL],
      onLost: (e) => this.#onLockLost(e),
      onNotify: (n) => { if (n.channel === OUTBOX_CHANNEL) this.#wakeup.wake(); },
      rejoinDelayMs: 2 * this.#o.lockRetryMs,
    });
    const { topology, nats } = options;
    const logOptions = { namespace: topology.namespace, maxAttempts: 2 };
    this.#logs = {
      agentState: new JetStreamEventLog(nats, topology.streams.agentState, logOptions),
      taskExecution: new JetStreamEventLog(nats, topology.streams.taskExecution, logOptions),
    };
    const serverMax = nats.nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    const limit = (route: OutboxRoute) =>
      Math.min(options.maxInlineBytes ?? Number.POSITIVE_INFINITY, Math.min(topology.streams[route].maxMsgSize, serverMax) - HEADER_RESERVE_BYTES);
    this.#inlineLimit = { agentState: limit('agentState'), taskExecution: limit('taskExecution') };
    let resolve!: () => void;
    this.#firstAttempt = { promise: new Promise<void>((r) => { resolve = r; }), resolve };
  }

  start(): Promise<void> {
    if (this.#stopping) return Promise.reject(msError('CLOSED', 'the bridge was stopped; create a new one'));
    this.#loop ??= this.#run().catch((e: unknown) => {
      // #run handles its own failures; reaching this is a bug, and the bridge must not crash the process.
      this.#fail(e, 'bridge loop crashed');
      this.#state = 'stopped';
      this.#firstAttempt.resolve();
    });
    return this.#firstAttempt.promise;
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#wakeup.wake();
      await this.#loop;
      await this.#lock.release().catch((e: unknown) => this.#fail(e, 'releasing the bridge lock'));
      this.#state = 'stopped';
      this.#metrics.active.set(0);
      this.#firstAttempt.resolve();
      this.#log.info({ published: this.#counts.published }, 'bridge stopped');
    })();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  status(): BridgeStatus {
    return {
      state: this.#state,
      active: this.#state === 'active',
      depth: this.#stats.depth,
      oldestUnpublishedAgeMs: this.#stats.oldestAgeMs,
      ...this.#counts,
      lastError: this.#lastError,
    };
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      if (!this.#lock.held) {
        const acquired = await this.#acquire();
        this.#firstAttempt.resolve();
        if (!acquired) {
          await this.#refreshStats(false);
          if (!this.#stopping) await this.#wakeup.wait(this.#o.lockRetryMs);
          continue;
        }
        failures = 0;
      }
      let rows: number;
      try {
        rows = await this.#round();
        failures = 0;
      } catch (e) {
        failures++;
        const delay = backoffMs(failures, { baseMs: 200, maxMs: this.#o.maxBackoffMs, jitter: 'equal' });
        this.#fail(e, 'publishing the outbox', { attempt: failures, retryInMs: delay });
        await this.#wakeup.wait(delay);
        continue;
      }
      await this.#housekeeping(rows === 0);
      if (rows > 0) continue; // more may wait (full batch, byte cap, rows committed meanwhile): read again until empty
      const why = await this.#wakeup.wait(this.#o.pollIntervalMs);
      if (why === 'timeout' && !this.#stopping) await this.#lock.check();
    }
  }

  async #acquire(): Promise<boolean> {
    try {
      const got = await this.#lock.tryAcquire();
      this.#lockFailures = 0;
      if (!got) {
        if (this.#state !== 'standby') this.#log.info('another bridge holds the lock; standing by');
        this.#state = 'standby';
        return false;
      }
      this.#state = 'active';
      this.#metrics.active.set(1);
      this.#log.info('bridge lock taken: publishing the outbox');
      return true;
    } catch (e) {
      this.#state = 'standby';
      // PostgreSQL down: retried every lockRetryMs, but only the first failure in a row is a warning.
      this.#fail(e, 'taking the bridge lock', {}, ++this.#lockFailures > 1 ? 'debug' : 'warn');
      return false;
    }
  }

  /** Publishes one batch; returns the number of rows it read. */
  async #round(): Promise<number> {
    const systemIdentifier = (this.#systemId ??= await this.#store.systemIdentifier());
    const rows = await this.#store.fetchUnpublished(this.#o.batchSize, this.#o.maxBatchBytes);
    if (rows.length === 0 || !this.#lock.held) return 0;
    const outcome = await publishOutboxBatch(rows, {
      topology: this.#options.topology, logs: this.#logs, store: this.#store, systemIdentifier,
      inlineLimit: this.#inlineLimit, timeoutMs: this.#o.publishTimeoutMs,
    });
    for (const p of outcome.published) {
      this.#metrics.published.inc({ stream: this.#options.topology.streams[p.route].name });
      if (p.duplicate) { this.#counts.deduplicated++; this.#metrics.deduplicated.inc(); }
      if (p.byReference) { this.#counts.byReference++; this.#metrics.byReference.inc(); }
    }
    this.#counts.published += outcome.published.length;
    for (const d of outcome.deadLettered) {
      this.#counts.deadLettered++;
      this.#metrics.deadLettered.inc();
      this.#log.warn({ outboxId: d.row.id, subject: d.row.subject, reason: d.reason }, 'outbox row dead-lettered');
    }
    this.#log.debug({ read: rows.length, published: outcome.published.length, deadLettered: outcome.deadLettered.length }, 'outbox batch');
    if (outcome.error) throw outcome.error;
    return rows.length;
  }

  async #housekeeping(idle: boolean): Promise<void> {
    await this.#refreshStats(idle && this.#stats.depth !== 0);
    if (Date.now() - this.#prunedAt < this.#o.pruneIntervalMs) return;
    this.#prunedAt = Date.now();
    try {
      const rows = await this.#store.prunePublished(this.#o.retentionMs, this.#o.pruneBatchSize);
      const payloads = await this.#store.prunePayloads(this.#o.payloadRetentionMs, this.#o.pruneBatchSize);
      if (rows + payloads > 0) this.#log.debug({ rows, payloads }, 'pruned published outbox rows');
    } catch (e) {
      this.#fail(e, 'pruning the outbox');
    }
  }

  async #refreshStats(force: boolean): Promise<void> {
    if (!force && Date.now() - this.#statsAt < STATS_INTERVAL_MS) return;
    this.#statsAt = Date.now();
    try {
      this.#stats = await this.#store.stats();
      this.#metrics.depth.set(this.#stats.depth);
      this.#metrics.oldestAge.set(this.#stats.oldestAgeMs / 1000);
    } catch (e) {
      this.#fail(e, 'measuring the outbox', {}, 'debug');
    }
  }

  #onLockLost(e: MisterSmithError): void {
    this.#fail(e, 'bridge lock lost: publishing stops until it is taken again');
    this.#state = 'standby';
    this.#metrics.active.set(0);
    this.#wakeup.wake();
  }

  #fail(e: unknown, what: string, extra: Record<string, unknown> = {}, level: 'warn' | 'debug' = 'warn'): void {
    const err = MisterSmithError.is(e) ? e : msError('INTERNAL', `${what}: ${String(e)}`, { cause: e });
    this.#lastError = { code: err.code, message: err.message, at: new Date().toISOString() };
    this.#log[level]({ error: err.toJSON(), ...extra }, what);
  }
}
