import { frameworkTransaction, MisterSmithError, msError, type DatabaseHandle, type NatsHandle, type Topology, subjectMatcher } from '@mister-smith/core';
import { advisoryUnlock, projectionLockKey, tryAdvisoryLock } from '../pg/advisoryLock.js';
import type { Checkpoint } from '../pg/checkpoints.js';
import { recordDeadLetters, type DeadLetter } from '../pg/deadLetters.js';
import { createShadowTables, dropShadowTables, parseTableName, shadowNameOf } from '../pg/shadowTables.js';
import { openStreamReader, type StreamReader } from '../read/openStreamReader.js';
import { streamState } from '../read/streamState.js';
import { commitIsolatingPoison, type BatchCommit } from '../runner/commitIsolatingPoison.js';
import { describeError } from '../runner/describeError.js';
import { isInfrastructureError } from '../runner/isInfrastructureError.js';
import { silentLogger, type ProjectionLogger } from '../runner/ProjectionLogger.js';
import type { Projection, ProjectionContext } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import type { RebuildProgress } from '../types/ProjectionStatus.js';
import { archiveExtents, archiveItems } from './archiveItems.js';
import { resetCheckpointInPlace, swapInShadow } from './swapInShadow.js';

/** Options of a rebuild. */
export interface RebuildOptions {
  /** Called with progress at most every `progressIntervalMs` and once at the end of each phase. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly progressIntervalMs?: number;
  /** Rebuild even when archive + stream are not contiguous from the first event (gaps are reported). */
  readonly force?: boolean;
  /** Most events per write transaction (default 20 000); several writes of one key in a batch collapse to one row. */
  readonly batchSize?: number;
  /** Attempts of a failing event before it is dead-lettered (default 3). */
  readonly maxAttempts?: number;
  /** Aborts the rebuild: the shadow is dropped and the live projection resumes. */
  readonly signal?: AbortSignal;
}

/** A range of sequences that neither the archive nor the stream holds. */
export interface SequenceGap {
  readonly epoch: number;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** What a rebuild did. */
export interface RebuildReport {
  readonly projection: string;
  readonly mode: 'shadow' | 'in-place';
  /** The stream incarnation and last sequence the rebuilt tables cover (the new checkpoint). */
  readonly epoch: number;
  readonly checkpoint: number;
  /** Messages read, and how many of them the projection applied (its subjects). */
  readonly read: number;
  readonly events: number;
  readonly fromArchive: number;
  readonly fromStream: number;
  readonly deadLettered: number;
  readonly contiguous: boolean;
  readonly gaps: readonly SequenceGap[];
  readonly durationMs: number;
  /** Messages per second over the whole rebuild. */
  readonly rate: number;
  readonly tables: readonly string[];
}

/** How a rebuild pauses the live projection at the head and resumes it after the swap. */
export interface LiveControl {
  /** Resolves once the live projection has no batch in flight and reads no further. */
  pause(): Promise<Checkpoint>;
  resume(): void;
  setRebuild(progress: RebuildProgress | undefined, rebuilding: boolean): void;
}

/** What a rebuild needs. Without `live`, the rebuild takes the projection's lock itself (LOCKED when another instance holds it). */
export interface RebuildDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: ProjectionLogger;
  readonly live?: LiveControl;
}

/**
 * Rebuilds a projection from the first event: replays the event archive (events older than the
 * stream keeps) and then the stream, seamlessly, into shadow tables (`LIKE ... INCLUDING ALL`) with
 * batched writes; pauses the live projection once the replay reaches the head, reads what arrived
 * meanwhile, and swaps the shadows in (restoring triggers and grants) in one transaction with the
 * checkpoint. Refuses with NOT_CONTIGUOUS when archive + stream have a gap, unless `force`.
 *
 * @example
 * const report = await rebuildProjection(deps, agentStateProjection(), {
 *   onProgress: (p) => console.log(`${p.done}/${p.total} ${p.rate} ev/s, eta ${p.etaMs} ms`),
 * });
 */
export async function rebuildProjection(deps: RebuildDeps, projection: Projection, options: RebuildOptions = {}): Promise<RebuildReport> {
  for (const t of projection.tables) parseTableName(t);
  if (deps.live) return run(deps, projection, options);
  return deps.pg.db.connection().execute(async (conn) => {
    const key = projectionLockKey(projection.name);
    if (!(await tryAdvisoryLock(conn, key))) {
      throw msError('LOCKED', `projection ${projection.name} is running in another instance: send the rebuild to it`, { details: { projection: projection.name } });
    }
    try {
      return await run(deps, projection, options);
    } finally {
      await advisoryUnlock(conn, key);
    }
  });
}

async function run(deps: RebuildDeps, projection: Projection, options: RebuildOptions): Promise<RebuildReport> {
  const { nats, pg, topology, live } = deps;
  const logger = deps.logger ?? silentLogger;
  const spec = topology.streams[projection.stream];
  const started = Date.now();
  const st0 = await streamState(nats, spec.name);
  const epoch = st0.epoch;
  if (projection.rebuild === 'in-place') {
    const seq = await resetCheckpointInPlace(deps, projection, spec.name, epoch, Math.max(0, st0.firstSeq - 1));
    logger.info({ projection: projection.name, seq }, `${projection.name} rebuilds in place: its checkpoint is back at ${seq}`);
    return { projection: projection.name, mode: 'in-place', epoch, checkpoint: seq, read: 0, events: 0, fromArchive: 0, fromStream: 0, deadLettered: 0, contiguous: true, gaps: [], durationMs: Date.now() - started, rate: 0, tables: projection.tables };
  }

  // Plan: archived incarnations must run from sequence 1 without holes; the stream must start where the archive ends.
  const extents = (await archiveExtents(pg.db, spec.name)).filter((x) => x.epoch <= epoch);
  const gaps: SequenceGap[] = [];
  for (const x of extents) {
    if (x.minSeq > 1) gaps.push({ epoch: x.epoch, fromSeq: 1, toSeq: x.minSeq - 1 });
    if (x.count !== x.maxSeq - x.minSeq + 1) gaps.push({ epoch: x.epoch, fromSeq: x.minSeq, toSeq: x.maxSeq });
  }
  const archivedTo = extents.find((x) => x.epoch === epoch)?.maxSeq ?? 0;
  if (st0.lastSeq > archivedTo && st0.firstSeq > archivedTo + 1) gaps.push({ epoch, fromSeq: archivedTo + 1, toSeq: Math.min(st0.firstSeq, st0.lastSeq + 1) - 1 });
  const refuse = (found: readonly SequenceGap[]) => msError('NOT_CONTIGUOUS',
    `cannot rebuild ${projection.name}: archive + stream ${spec.name} miss ${found.map((g) => `${g.fromSeq}..${g.toSeq}${g.epoch !== epoch ? ` (epoch ${g.epoch})` : ''}`).join(', ')}; run the archive projection, or pass force to rebuild from what is left`,
    { details: { projection: projection.name, gaps: found } });
  if (gaps.length > 0 && !options.force) throw refuse(gaps);

  const batchSize = options.batchSize ?? 20_000;
  const tables = projection.tables;
  const shadow = new Map(tables.map((t) => [t, shadowNameOf(t)]));
  const counts = { read: 0, events: 0, fromArchive: 0, fromStream: 0, deadLettered: 0 };
  let total = extents.reduce((s, x) => s + x.count, 0) + Math.max(0, st0.lastSeq - Math.max(archivedTo, st0.firstSeq - 1));
  let lastSeq = 0;
  let phase: RebuildProgress['phase'] = 'archive';
  let lastReport = 0;
  const progress = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastReport < (options.progressIntervalMs ?? 250)) return;
    lastReport = now;
    const elapsed = Math.max(1, now - started);
    const rate = Math.round((counts.read * 1000) / elapsed);
    total = Math.max(total, counts.read);
    const p: RebuildProgress = { projection: projection.name, phase, done: counts.read, total, rate, etaMs: rate > 0 ? Math.round(((total - counts.read) * 1000) / rate) : undefined, seq: lastSeq };
    live?.setRebuild(p, true);
    options.onProgress?.(p);
  };
  const abortIfAsked = () => {
    if (options.signal?.aborted) throw msError('CLOSED', `rebuild of ${projection.name} was aborted`, { details: { projection: projection.name } });
  };
  const context = (trx: ProjectionContext['trx']): ProjectionContext => ({ trx, mode: 'rebuild', table: (t) => shadow.get(t) ?? t, nats, topology });
  const commit: BatchCommit = async (items, letters) => {
    await frameworkTransaction(pg.db, async (trx) => {
      if (items.length > 0) await projection.apply(items, context(trx));
      if (letters.length > 0) await recordDeadLetters(trx, letters);
    });
  };
  const deadLetterOf = (item: ProjectionItem, error: unknown, attempts: number): DeadLetter => ({
    source: `projection:${projection.name}`, stream: spec.name, epoch: item.epoch, seq: item.seq, subject: item.subject,
    reason: describeError(error), payload: item.raw, attempts,
  });
  const matches = subjectMatcher(projection.subjects);
  const feed = async (items: readonly ProjectionItem[]) => {
    if (items.length === 0) return;
    abortIfAsked();
    const accepted: ProjectionItem[] = [];
    const letters: DeadLetter[] = [];
    for (const item of items) {
      if (!matches(item.subject)) continue;
      if (item.kind === 'malformed' && !projection.acceptsMalformed) letters.push(deadLetterOf(item, item.error, 1));
      else accepted.push(item);
    }
    const dead = await commitIsolatingPoison(commit, accepted, letters, items[items.length - 1]!.seq, {
      maxAttempts: Math.max(1, options.maxAttempts ?? 3), retryBaseMs: 25, deadLetterOf,
      isInfrastructure: async (e) => isInfrastructureError(e),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    counts.read += items.length;
    counts.events += accepted.length - dead.length;
    counts.deadLettered += letters.length + dead.length;
    progress();
  };

  const client = await pg.connect();
  try {
    await createShadowTables(client, tables);
  } finally {
    client.release();
  }
  let paused = false;
  let reader: StreamReader | undefined;
  try {
    live?.setRebuild(undefined, true);
    logger.info({ projection: projection.name, total, archived: extents, stream: { first: st0.firstSeq, last: st0.lastSeq } }, `rebuilding ${projection.name}`);
    // 1. The archive, incarnation by incarnation.
    for (const x of extents) {
      const upTo = x.epoch === epoch ? archivedTo : x.maxSeq;
      for await (const page of archiveItems(pg.db, spec.name, topology.namespace, x.epoch, 1, upTo, batchSize)) {
        await feed(page);
        counts.fromArchive += page.length;
        if (x.epoch === epoch) lastSeq = page[page.length - 1]!.seq;
      }
    }
    lastSeq = Math.max(lastSeq, archivedTo);
    // 2. The stream from where the archive ends; 3. pause live at the head and read what arrived meanwhile.
    phase = 'stream';
    progress(true);
    let expected = archivedTo + 1;
    let target = st0.lastSeq;
    const from = Math.max(archivedTo + 1, st0.firstSeq);
    const noteGap = (g: SequenceGap) => {
      gaps.push(g);
      if (!options.force) throw refuse([g]);
    };
    if (st0.firstSeq > expected) expected = st0.firstSeq; // already in `gaps` from the plan
    const reachedTarget = () => lastSeq >= target || (reader !== undefined && reader.delivered > 0 && reader.buffered === 0 && reader.pending === 0);
    reader = await openStreamReader(nats, { stream: spec.name, namespace: topology.namespace, epoch, fromSeq: from, pull: Math.min(batchSize, 10_000) });
    for (;;) {
      if (target < from || reachedTarget()) {
        if (paused) break;
        phase = 'catch-up';
        if (live) await live.pause();
        paused = true;
        const st = await streamState(nats, spec.name);
        if (st.epoch !== epoch) throw msError('PROJECTION_FAILED', `stream ${spec.name} was recreated during the rebuild of ${projection.name}`);
        target = st.lastSeq;
        total = Math.max(total, counts.read + Math.max(0, target - lastSeq));
        if (target < from || lastSeq >= target) break;
        continue;
      }
      const items = await reader.next(batchSize, paused ? 2000 : undefined);
      if (!items) throw msError('PROJECTION_FAILED', `the reader of ${spec.name} closed during the rebuild of ${projection.name}`);
      if (items.length === 0) {
        // Nothing arrived for 2 s while the head is further: the rest was deleted from the stream.
        if (reader.pending === 0) { if (lastSeq < target) noteGap({ epoch, fromSeq: lastSeq + 1, toSeq: target }); break; }
        continue;
      }
      const within = paused ? items.filter((i) => i.seq <= target) : items;
      for (const item of within) {
        if (item.seq > expected) noteGap({ epoch, fromSeq: expected, toSeq: item.seq - 1 });
        expected = item.seq + 1;
      }
      await feed(within);
      counts.fromStream += within.length;
      if (within.length > 0) lastSeq = within[within.length - 1]!.seq;
      if (paused && within.length < items.length) break;
    }
    if (lastSeq < target && !gaps.some((g) => g.toSeq >= target)) noteGap({ epoch, fromSeq: lastSeq + 1, toSeq: target });
    await reader.stop();
    reader = undefined;
    // 4. Swap the shadows in with the checkpoint, in one transaction.
    phase = 'swap';
    progress(true);
    const checkpoint = Math.max(lastSeq, target);
    await swapInShadow(pg, projection, spec.name, tables, { epoch, seq: checkpoint });
    const durationMs = Date.now() - started;
    const report: RebuildReport = {
      projection: projection.name, mode: 'shadow', epoch, checkpoint, ...counts,
      contiguous: gaps.length === 0, gaps, durationMs, rate: Math.round((counts.read * 1000) / Math.max(1, durationMs)), tables,
    };
    logger.info({ ...report }, `rebuilt ${projection.name}: ${counts.read} messages in ${durationMs} ms`);
    return report;
  } catch (e) {
    await reader?.stop();
    const cleanup = await pg.connect();
    try {
      await dropShadowTables(cleanup, tables);
    } catch (dropError) {
      logger.error({ projection: projection.name, err: dropError }, 'could not drop the shadow tables of a failed rebuild (the next rebuild replaces them)');
    } finally {
      cleanup.release();
    }
    if (MisterSmithError.is(e, 'NOT_CONTIGUOUS') || MisterSmithError.is(e, 'CLOSED') || MisterSmithError.is(e, 'LOCKED')) throw e;
    throw msError('PROJECTION_FAILED', `rebuild of ${projection.name} failed: ${describeError(e)}`, { cause: e, details: { projection: projection.name } });
  } finally {
    live?.setRebuild(undefined, false);
    if (paused) live?.resume();
  }
}
