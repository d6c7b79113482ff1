import { MisterSmithError, msError, SessionLock, subjectMatcher } from '@mister-smith/core';
import { projectionLockKey, rebuildLockKey } from '../pg/advisoryLock.js';
import { readCheckpoint, type Checkpoint } from '../pg/checkpoints.js';
import type { Db } from '../pg/dbTypes.js';
import { createShadowTables, dropShadowTables, parseTableName, shadowNameOf, sqlSession } from '../pg/shadowTables.js';
import { openStreamReader, type StreamReader } from '../read/openStreamReader.js';
import { streamState } from '../read/streamState.js';
import { commitItems, type CommitTarget } from '../runner/commitBatch.js';
import { describeError } from '../runner/describeError.js';
import { isInfrastructureError } from '../runner/isInfrastructureError.js';
import { silentLogger } from '../runner/ProjectionLogger.js';
import type { Projection, ProjectionContext } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import type { RebuildProgress } from '../types/ProjectionStatus.js';
import { archiveExtents, archiveItems } from './archiveItems.js';
import type { RebuildDeps, RebuildOptions, RebuildReport, SequenceGap } from './RebuildTypes.js';
import { resetCheckpoint, swapInShadow } from './swapInShadow.js';

export type { LiveControl, RebuildDeps, RebuildOptions, RebuildReport, SequenceGap } from './RebuildTypes.js';

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
  // One rebuild of a projection at a time, across every instance: a second one (a retried request,
  // two instances that both believed they ran the projection) gets LOCKED, never a clash of shadow tables.
  await using guard = new SessionLock(deps.pg, rebuildLockKey(projection.name));
  if (!(await guard.tryAcquire())) {
    throw msError('LOCKED', `a rebuild of ${projection.name} is already under way (on this or another instance): wait for it, or abort it`, { details: { projection: projection.name } });
  }
  if (deps.live) return await run(deps, projection, options, guard.db);
  // No live runner here: hold the projection's lock, so no runner elsewhere writes meanwhile; write on its session.
  await using lock = new SessionLock(deps.pg, projectionLockKey(projection.name));
  if (!(await lock.tryAcquire())) {
    throw msError('LOCKED', `projection ${projection.name} is running in another instance: send the rebuild to it`, { details: { projection: projection.name } });
  }
  return await run(deps, projection, options, lock.db);
}

async function run(deps: RebuildDeps, projection: Projection, options: RebuildOptions, conn: Db): Promise<RebuildReport> {
  const { nats, pg, topology, live } = deps;
  const logger = deps.logger ?? silentLogger;
  const spec = topology.streams[projection.stream];
  const started = Date.now();
  const st0 = await streamState(nats, spec.name);
  const epoch = st0.epoch;
  const target = (context: (trx: ProjectionContext['trx']) => ProjectionContext): CommitTarget => ({
    projection, stream: spec.name, context, maxAttempts: Math.max(1, options.maxAttempts ?? 3), retryBaseMs: 25,
    isInfrastructure: async (e) => isInfrastructureError(e), advancesCheckpoint: false,
    matches: subjectMatcher(projection.subjects),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  /** Where the live projection stands once paused (this instance holds its lock otherwise, so the row is stable). */
  const liveCheckpoint = async (): Promise<Checkpoint | undefined> => {
    if (live) return live.pause();
    const row = await readCheckpoint(conn, projection.name);
    return row ? { epoch: row.epoch, seq: row.seq } : undefined;
  };
  if (projection.rebuild === 'in-place') {
    const seq = Math.max(0, st0.firstSeq - 1);
    try {
      await resetCheckpoint(conn, target((trx) => ({ trx, mode: 'live', table: (t) => t, nats, topology })), await liveCheckpoint(), { epoch, seq });
    } finally {
      live?.resume();
    }
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
  const fill = target((trx) => ({ trx, mode: 'rebuild', table: (t) => shadow.get(t) ?? t, nats, topology }));
  const feed = async (items: readonly ProjectionItem[]) => {
    if (items.length === 0) return;
    abortIfAsked();
    const outcome = await commitItems(conn, fill, undefined, epoch, items);
    counts.read += items.length;
    counts.events += outcome.applied;
    counts.deadLettered += outcome.deadLettered.length;
    progress();
  };

  await createShadowTables(sqlSession(conn), tables);
  let paused = false;
  let pausedAt: Checkpoint | undefined;
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
    /**
     * The next batch: up to `batchSize` items, filled while the stream holds more before the target
     * (the reader keeps pulling in the background meanwhile, so reading overlaps the write of the
     * batch before). Full batches are what makes a rebuild fast: several writes of one key collapse.
     */
    const take = async (r: StreamReader, atHead: boolean): Promise<ProjectionItem[] | undefined> => {
      const out = await r.next(batchSize, atHead ? 2000 : undefined);
      if (!out || out.length === 0 || atHead) return out;
      while (out.length < batchSize && out[out.length - 1]!.seq < target && (r.buffered > 0 || r.pending > 0)) {
        const more = await r.next(batchSize - out.length, 1000, true);
        if (!more || more.length === 0) break;
        for (const m of more) out.push(m);
      }
      return out;
    };
    reader = await openStreamReader(nats, { stream: spec.name, namespace: topology.namespace, epoch, fromSeq: from, pull: Math.min(batchSize, 10_000) });
    for (;;) {
      if (target < from || reachedTarget()) {
        if (paused) break;
        phase = 'catch-up';
        pausedAt = await liveCheckpoint();
        paused = true;
        const st = await streamState(nats, spec.name);
        if (st.epoch !== epoch) throw msError('PROJECTION_FAILED', `stream ${spec.name} was recreated during the rebuild of ${projection.name}`);
        target = st.lastSeq;
        total = Math.max(total, counts.read + Math.max(0, target - lastSeq));
        if (target < from || lastSeq >= target) break;
        continue;
      }
      const items = await take(reader, paused);
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
    await swapInShadow(conn, fill, tables, pausedAt, { epoch, seq: checkpoint });
    const durationMs = Date.now() - started;
    const report: RebuildReport = {
      projection: projection.name, mode: 'shadow', epoch, checkpoint, ...counts,
      contiguous: gaps.length === 0, gaps, durationMs, rate: Math.round((counts.read * 1000) / Math.max(1, durationMs)), tables,
    };
    logger.info({ ...report }, `rebuilt ${projection.name}: ${counts.read} messages in ${durationMs} ms`);
    return report;
  } catch (e) {
    await reader?.stop();
    try {
      await dropShadowTables(sqlSession(conn), tables);
    } catch (dropError) {
      logger.error({ projection: projection.name, err: dropError }, 'could not drop the shadow tables of a failed rebuild (the next rebuild replaces them)');
    }
    if (MisterSmithError.is(e, 'NOT_CONTIGUOUS') || MisterSmithError.is(e, 'CLOSED') || MisterSmithError.is(e, 'LOCKED')) throw e;
    throw msError('PROJECTION_FAILED', `rebuild of ${projection.name} failed: ${describeError(e)}`, { cause: e, details: { projection: projection.name } });
  } finally {
    live?.setRebuild(undefined, false);
    if (paused) live?.resume();
  }
}
