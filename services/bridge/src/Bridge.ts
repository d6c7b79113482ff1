import type { DatabaseHandle, NatsHandle, Topology } from '@mister-smith/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Options of `createBridge`. Only `pg`, `nats` and `topology` are required. */
export interface BridgeOptions {
  /** The database whose `mister_smith.outbox` is drained. */
  readonly pg: DatabaseHandle;
  /** The NATS connection events are published on. */
  readonly nats: NatsHandle;
  /** Streams (and namespace) to publish to: `agents.*` rows go to AGENT_STATE, `tasks.*` rows to TASK_EXECUTION. */
  readonly topology: Topology;
  /** Default: a pino logger named `mister-smith-bridge`. */
  readonly logger?: Logger;
  /** Registry the metrics are registered on. Default: a new one (see `Bridge.registry`). */
  readonly registry?: Registry;
  /** Outbox rows read and published per round. Default 256. */
  readonly batchSize?: number;
  /** A batch stops growing once its payloads reach this many bytes (at least one row is read). Default 16 MB. */
  readonly maxBatchBytes?: number;
  /** Fallback poll while idle: notifications are lost while the lock connection is down. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** How often a standby bridge tries to take the lock. Default 500 ms. */
  readonly lockRetryMs?: number;
  /** Published outbox rows are deleted after this long. Default 1 h. */
  readonly retentionMs?: number;
  /** Large payloads stored for reference events are deleted after this long. Default 7 days. */
  readonly payloadRetentionMs?: number;
  /** How often pruning runs. Default 30 s. */
  readonly pruneIntervalMs?: number;
  /** Rows deleted per pruning statement. Default 1000. */
  readonly pruneBatchSize?: number;
  /**
   * Encoded events larger than this are published by reference. Always capped by the stream's
   * `max_msg_size` and the server's `max_payload`, less room for headers.
   */
  readonly maxInlineBytes?: number;
  /** Session advisory lock key that elects the one active bridge per database. */
  readonly lockKey?: bigint;
  /** Upper bound of the retry backoff after a failed round. Default 10 s. */
  readonly maxBackoffMs?: number;
  /** Timeout of one publish. Default 5000 ms. */
  readonly publishTimeoutMs?: number;
}

/** Where a bridge is in its life. */
export type BridgeState = 'idle' | 'standby' | 'active' | 'stopped';

/** The last failure a bridge saw (it keeps retrying). */
export interface BridgeError {
  readonly code: string;
  readonly message: string;
  /** ISO-8601 time. */
  readonly at: string;
}

/** A snapshot of a bridge, for health checks, `doctor` and tests. */
export interface BridgeStatus {
  readonly state: BridgeState;
  /** True while this bridge holds the lock and publishes. */
  readonly active: boolean;
  /** Unpublished outbox rows at the last measurement. */
  readonly depth: number;
  /** Age of the oldest unpublished row at the last measurement, 0 when there is none. */
  readonly oldestUnpublishedAgeMs: number;
  /** Rows this bridge published and marked (duplicates and references included). */
  readonly published: number;
  /** Publishes the stream recognised as duplicates (`Nats-Msg-Id` seen before). */
  readonly deduplicated: number;
  /** Rows published as reference events because they were too large. */
  readonly byReference: number;
  /** Rows moved to `mister_smith.dead_letters`. */
  readonly deadLettered: number;
  readonly lastError: BridgeError | null;
}

/**
 * The PostgreSQL -> NATS bridge: publishes `mister_smith.outbox` rows to JetStream, exactly one
 * bridge active per database.
 */
export interface Bridge extends AsyncDisposable {
  /** The registry its metrics live on. */
  readonly registry: Registry;
  /** Starts the loop; resolves after the first attempt to take the lock (active or standby). */
  start(): Promise<void>;
  /** Finishes the current round, releases the lock, UNLISTENs and clears every timer. Safe to call twice. */
  stop(): Promise<void>;
  status(): BridgeStatus;
}
