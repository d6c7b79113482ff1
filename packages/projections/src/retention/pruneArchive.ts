import type { DatabaseHandle } from '@mister-smith/core';
import { assertRetentionPolicy, type RetentionPolicy } from './RetentionPolicy.js';

/** Progress of a prune, after each batch. */
export interface PruneProgress {
  readonly pruned: number;
  readonly total: number;
}

/** What a prune found and did. */
export interface PruneReport {
  readonly stream: string;
  readonly dryRun: boolean;
  /** Events the policy lets go (all of them were replaced by placeholders unless `dryRun`). */
  readonly eligible: number;
  readonly pruned: number;
  /** Agents with at least one eligible event. */
  readonly agents: number;
  /** Envelope bytes the placeholders free (as stored text). */
  readonly bytes: number;
  readonly policy: RetentionPolicy;
}

/** Options of {@link pruneArchive}. */
export interface PruneOptions {
  /** The AGENT_STATE stream's name (e.g. `NS_AGENT_STATE`). */
  readonly stream: string;
  readonly policy: RetentionPolicy;
  /** Count only. */
  readonly dryRun?: boolean;
  /** Events per transaction (default 5000). */
  readonly batchSize?: number;
  readonly onProgress?: (p: PruneProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Applies the archive retention policy: replaces each eligible `StateChanged` event of
 * `mister_smith.event_archive` by a `$pruned` placeholder that keeps its position, subject and
 * agent (the archive stays contiguous, so a rebuild accepts it and skips the placeholder; a reader
 * of that agent's history gets a `pruned` gap). Eligible: at or before the agent's latest snapshot,
 * superseded by a newer event of the same key (so a rebuild of `agents.state` still equals the live
 * table), older than `keepForMs` and not among the agent's `keepLast` newest before the snapshot.
 * Runs in batches of one statement each; a second run finds nothing new.
 *
 * @example
 * const r = await pruneArchive(pg, { stream: topology.streams.agentState.name, policy: { keepForMs: 30 * 86_400_000 }, dryRun: true });
 */
export async function pruneArchive(pg: DatabaseHandle, options: PruneOptions): Promise<PruneReport> {
  const policy = assertRetentionPolicy(options.policy);
  const keepLast = policy.keepLast ?? 0;
  const cutoff = policy.keepForMs !== undefined ? new Date(Date.now() - policy.keepForMs) : null;
  const candidates = await pg.withClient((c) => c.query<{ epoch: string; seq: string; agent: string; bytes: number }>(`
    WITH snap AS (
      SELECT agent_id, epoch, max(seq) AS seq FROM mister_smith.agent_snapshots GROUP BY agent_id, epoch
    ), covered AS (
      SELECT a.epoch, a.seq, s.agent_id AS agent, a.stored_at, octet_length(a.envelope::text) AS bytes,
        row_number() OVER (PARTITION BY a.subject, a.epoch ORDER BY a.seq DESC) AS nth_newest,
        row_number() OVER (PARTITION BY a.subject, a.epoch, a.envelope->'data'->>'key' ORDER BY a.seq DESC) AS nth_of_key
      FROM mister_smith.event_archive a
      JOIN snap s ON a.subject = 'agents.state.' || s.agent_id AND a.epoch = s.epoch AND a.seq <= s.seq
      WHERE a.stream = $1 AND a.event_type = 'StateChanged'
    )
    SELECT epoch::text, seq::text, agent, bytes FROM covered
    WHERE nth_of_key > 1 AND nth_newest > $2 AND ($3::timestamptz IS NULL OR stored_at < $3::timestamptz)
    ORDER BY epoch, seq`, [options.stream, keepLast, cutoff]));
  const rows = candidates.rows;
  const report = {
    stream: options.stream, dryRun: options.dryRun === true, eligible: rows.length, agents: new Set(rows.map((r) => r.agent)).size,
    bytes: rows.reduce((n, r) => n + Number(r.bytes), 0), policy,
  };
  if (options.dryRun) return { ...report, pruned: 0 };
  const batchSize = options.batchSize ?? 5000;
  let pruned = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    options.signal?.throwIfAborted();
    const batch = rows.slice(i, i + batchSize);
    // One statement per batch: atomic on its own, and a batch a crash cuts is simply found again.
    const r = await pg.withClient((c) => c.query(`
      UPDATE mister_smith.event_archive a SET event_type = '$pruned', envelope = '{"$pruned": true}'::jsonb,
        event_id = '00000000-0000-0000-0000-000000000000'
      FROM unnest($2::bigint[], $3::bigint[]) AS k(epoch, seq)
      WHERE a.stream = $1 AND a.epoch = k.epoch AND a.seq = k.seq AND a.event_type = 'StateChanged'`,
    [options.stream, batch.map((b) => b.epoch), batch.map((b) => b.seq)]));
    pruned += r.rowCount ?? 0;
    options.onProgress?.({ pruned, total: rows.length });
  }
  return { ...report, pruned };
}
