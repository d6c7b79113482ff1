import type { ConsumerSpec, frameworkTransaction, NatsHandle, Topology } from '@mister-smith/core';
import type { ProjectionItem } from './ProjectionItem.js';

/** Which of the topology's streams a projection reads. */
export type ProjectionStreamKey = keyof Topology['streams'];

/** The kysely transaction a projection writes in (`frameworkTransaction`, so triggers do not echo). */
export type ProjectionTransaction = Parameters<Parameters<typeof frameworkTransaction>[1]>[0];

/** What a projection's handler gets besides its batch. */
export interface ProjectionContext {
  /** The transaction that also advances the checkpoint (live) or fills the shadow tables (rebuild). */
  readonly trx: ProjectionTransaction;
  /** `live`: the running projection; `rebuild`: replay into shadow tables (skip caches such as KV). */
  readonly mode: 'live' | 'rebuild';
  /** The physical name of one of the projection's `tables`: the shadow table during a rebuild. */
  table(logical: string): string;
  readonly nats: NatsHandle;
  readonly topology: Topology;
}

/**
 * A projection: a name, the stream and subjects it reads, the tables it owns, and a handler that
 * turns a batch of events (in stream order) into writes. The handler must be deterministic and
 * idempotent by version, so that any batching of the same events yields the same tables (a
 * rebuild batches differently from the live path) and a replay is a no-op.
 *
 * Throwing from `apply` rolls the batch back; the runner then isolates the offending event, retries
 * it a bounded number of times and dead-letters it (see `RunnerOptions.maxAttempts`).
 *
 * @example
 * const counter: Projection = {
 *   name: 'state-counter', stream: 'agentState', subjects: ['agents.state.>'], tables: ['public.counter'],
 *   async apply(items, ctx) {
 *     await ctx.trx.withTables<{ 'public.counter': { n: number } }>()
 *       .updateTable(ctx.table('public.counter') as 'public.counter')
 *       .set((eb) => ({ n: eb('n', '+', items.length) })).execute();
 *   },
 * };
 */
export interface Projection {
  /** Unique name: the checkpoint row, the advisory lock and the NATS commands use it. */
  readonly name: string;
  readonly stream: ProjectionStreamKey;
  /**
   * Logical subject filters. One filter: the projection reads with a filtered consumer. Several
   * (nats-server 2.9 takes one filter per consumer): it reads the whole stream and filters itself.
   */
  readonly subjects: readonly string[];
  /** Tables this projection owns (`schema.table`): a rebuild builds shadows of these and swaps them in. */
  readonly tables: readonly string[];
  /** `shadow` (default): rebuild into shadow tables and swap. `in-place`: rebuild re-reads the stream into the live tables (idempotent writes only). */
  readonly rebuild?: 'shadow' | 'in-place';
  /**
   * On a stream with interest retention (TASK_EXECUTION): the durable consumer that holds this
   * projection's interest until its checkpoint passes each message (e.g. `topology.consumers.taskFeed`).
   * Default: one the runner creates, named after the projection.
   */
  readonly interestConsumer?: ConsumerSpec;
  /** Hand undecodable messages to `apply` too (the archive keeps them); otherwise they are dead-lettered. */
  readonly acceptsMalformed?: boolean;
  /** Turns a batch into writes inside `ctx.trx`. */
  apply(items: readonly ProjectionItem[], ctx: ProjectionContext): Promise<void>;
}
