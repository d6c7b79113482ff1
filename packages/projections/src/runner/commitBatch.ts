import { frameworkTransaction, msError } from '@mister-smith/core';
import { advanceCheckpoint, type Checkpoint } from '../pg/checkpoints.js';
import type { Db } from '../pg/dbTypes.js';
import { recordDeadLetters, type DeadLetter } from '../pg/deadLetters.js';
import type { Projection, ProjectionContext, ProjectionTransaction } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { commitIsolatingPoison } from './commitIsolatingPoison.js';
import { describeError } from './describeError.js';

/** Where and how a projection's batches are committed: the live runner and the rebuild both describe themselves with this. */
export interface CommitTarget {
  readonly projection: Projection;
  /** The namespaced stream the items come from (dead letters record it). */
  readonly stream: string;
  /** The context `apply` gets (live tables, or a rebuild's shadows). */
  context(trx: ProjectionTransaction): ProjectionContext;
  /** Whether an item's subject is the projection's (undefined: every item is). */
  readonly matches?: (subject: string) => boolean;
  /** Attempts of a failing event before it is dead-lettered (>= 1), and the base of the backoff between them. */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly signal?: AbortSignal;
  /** True when a failure is the infrastructure's (rethrown, nothing dead-lettered). */
  isInfrastructure(e: unknown): Promise<boolean>;
  /**
   * Whether each commit advances the projection's checkpoint (compare-and-set, same transaction):
   * the live runner does; a rebuild fills shadow tables that no checkpoint describes until the swap.
   */
  readonly advancesCheckpoint: boolean;
  /** Called after each transaction that committed (a batch may commit in parts while poison is isolated). */
  onCommitted?(part: readonly ProjectionItem[], letters: readonly DeadLetter[], to: Checkpoint): void;
}

/** What `commitItems` did. */
export interface CommitOutcome {
  /** The checkpoint after the last commit (the batch's last sequence). */
  readonly checkpoint: Checkpoint;
  /** Items of the projection's subjects that were not malformed (applied, or isolated as poison). */
  readonly accepted: number;
  /** Items handed to `apply` and committed. */
  readonly applied: number;
  /** Dead letters written (malformed items and isolated poison). */
  readonly deadLettered: readonly DeadLetter[];
}

/** The dead letter of an item a projection could not apply. */
export function projectionDeadLetter(projection: string, stream: string, item: ProjectionItem, error: unknown, attempts: number): DeadLetter {
  return {
    source: `projection:${projection}`, stream, epoch: item.epoch, seq: item.seq, subject: item.subject,
    reason: describeError(error), payload: item.raw, attempts,
  };
}

/**
 * Moves the checkpoint of `projection` from `from` to `to` inside `trx` (one compare-and-set:
 * `from` undefined creates the row of a projection that never ran), or throws LOCKED when another
 * writer moved it: the transaction must roll back.
 */
export async function casCheckpoint(trx: Db, projection: string, stream: string, from: Checkpoint | undefined, to: Checkpoint): Promise<void> {
  if (!(await advanceCheckpoint(trx, projection, from, to, stream))) {
    throw msError('LOCKED', `the checkpoint of ${projection} moved away from ${from ? `${from.epoch}/${from.seq}` : 'nothing'} under this instance (a rebuild swapped, or another instance wrote): nothing was committed`,
      { details: { projection, expected: from ?? null } });
  }
}

/**
 * The one commit path of a projection, live and rebuild alike: `apply` the batch, record its dead
 * letters and (live) compare-and-set the checkpoint, in one framework transaction on `conn` (the
 * session that holds the projection's lock). `before` runs first in that transaction when given
 * (the rebuild's swap commits the shadows, the last items and the checkpoint together). A failure
 * of the events' own is isolated by halving the batch and dead-lettered after retries
 * (`commitIsolatingPoison`).
 */
export async function commitItems(
  conn: Db, target: CommitTarget, from: Checkpoint | undefined, epoch: number, items: readonly ProjectionItem[],
  options: { readonly before?: (trx: ProjectionTransaction) => Promise<void>; readonly upto?: number } = {},
): Promise<CommitOutcome> {
  const { projection } = target;
  const letterOf = (item: ProjectionItem, error: unknown, attempts: number) => projectionDeadLetter(projection.name, target.stream, item, error, attempts);
  const accepted: ProjectionItem[] = [];
  const letters: DeadLetter[] = [];
  for (const item of items) {
    if (target.matches && !target.matches(item.subject)) continue;
    if (item.kind === 'malformed' && !projection.acceptsMalformed) letters.push(letterOf(item, item.error, 1));
    else accepted.push(item);
  }
  const upto = options.upto ?? items[items.length - 1]?.seq ?? from?.seq ?? 0;
  let current = from;
  let applied = 0;
  let before = options.before;
  const commit = async (part: readonly ProjectionItem[], dls: readonly DeadLetter[], partUpto: number) => {
    const to = { epoch, seq: partUpto };
    await frameworkTransaction(conn, async (trx) => {
      if (before) await before(trx);
      if (part.length > 0) await projection.apply(part, target.context(trx));
      if (dls.length > 0) await recordDeadLetters(trx, dls);
      if (target.advancesCheckpoint) await casCheckpoint(trx, projection.name, target.stream, current, to);
    });
    before = undefined;
    current = to;
    applied += part.length;
    target.onCommitted?.(part, dls, to);
  };
  const dead = await commitIsolatingPoison(commit, accepted, letters, upto, {
    maxAttempts: target.maxAttempts,
    retryBaseMs: target.retryBaseMs,
    isInfrastructure: (e) => target.isInfrastructure(e),
    deadLetterOf: letterOf,
    ...(target.signal ? { signal: target.signal } : {}),
  });
  if (before) {
    // Nothing to commit (no items, no letters): `before` and the checkpoint still go together.
    await commit([], [], upto);
  }
  return { checkpoint: current ?? { epoch, seq: upto }, accepted: accepted.length, applied, deadLettered: [...letters, ...dead] };
}
