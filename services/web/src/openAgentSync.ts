import { formatCursor, type Cursor, type LifecycleView, type SnapshotMessage } from '@mister-smith/client';
import { assertAgentId, AsyncQueue, type DatabaseHandle, type EventLog, type EventSubscription, type RecordedEvent } from '@mister-smith/core';
import { messageOf, type SyncMessage } from './agentMessages.js';
import { foldEvent, foldFrom, liveEntries, type StateRowView } from './foldSnapshot.js';
import { WebError } from './WebError.js';

/** What `openAgentSync` reads from. */
export interface AgentSyncDeps {
  /** The AGENT_STATE event log. */
  readonly log: EventLog;
  readonly pg: DatabaseHandle;
  /** Names of the projections whose checkpoints bound the read models (default agent-state, agent-registry). */
  readonly projections?: { readonly state: string; readonly registry: string };
}

/** A message ready to write: SSE event name, cursor (`id`) and JSON body. */
export interface OutgoingMessage {
  readonly event: string;
  readonly id: string;
  readonly data: unknown;
}

/** An open sync of one agent: the first messages (snapshot, or what was missed), then live ones. */
export interface AgentSyncSession extends AsyncDisposable {
  /** The snapshot (fresh start) or every event after the cursor up to now (resume). */
  readonly initial: readonly OutgoingMessage[];
  /** Messages as they are committed, until stopped. */
  readonly live: AsyncIterable<OutgoingMessage>;
  stop(): Promise<void>;
}

type Family = 'state' | 'lifecycle';

interface FamilyReader {
  readonly sub: EventSubscription;
  readonly caughtUp: Promise<number>;
  readonly buffered: RecordedEvent[];
  /** Set once the initial messages are built; live events go there (earlier ones wait in `backlog`). */
  onLive?: (r: RecordedEvent) => void;
  readonly backlog: RecordedEvent[];
}

/**
 * Opens the sync of one agent. Without a cursor: reads the read models (`agents.state`, the
 * registry), then the agent's two subjects from the projections' checkpoints to their heads, and
 * folds both into a snapshot at a revision. With a cursor: reads each subject from just after it.
 * Either way, live events follow with no gap and no duplicate, each carrying the cursor to resume
 * from. REVISION_EXPIRED (HTTP 410) when the stream no longer holds every event after the cursor
 * (retention evicted some, or the stream was recreated).
 *
 * Each subject family has its own consumer (nats-server 2.9: one filter per consumer), so the
 * cursor carries one sequence per family: resuming never depends on the order in which the two
 * consumers delivered.
 */
export async function openAgentSync(deps: AgentSyncDeps, agentId: string, cursor?: Cursor): Promise<AgentSyncSession> {
  assertAgentId(agentId);
  const names = deps.projections ?? { state: 'agent-state', registry: 'agent-registry' };
  const epoch = await deps.log.epoch();
  if (cursor && cursor.epoch !== epoch) {
    throw new WebError('REVISION_EXPIRED', `the cursor ${formatCursor(cursor)} belongs to an earlier incarnation of the stream (now ${epoch}): take a new snapshot`, { details: { epoch } });
  }
  let rows: StateRowView[] = [];
  let lifecycle: LifecycleView | null = null;
  let start = { state: 1, lifecycle: 1 };
  if (cursor) {
    start = { state: cursor.stateSeq + 1, lifecycle: cursor.lifecycleSeq + 1 };
  } else {
    // Checkpoints first: the rows read next include at least every event up to them.
    const db = deps.pg.db;
    const checkpoints = await db.selectFrom('mister_smith.projection_checkpoints').select(['projection', 'epoch', 'seq'])
      .where('projection', 'in', [names.state, names.registry]).execute();
    const at = (name: string) => checkpoints.find((c) => c.projection === name && Number(c.epoch) === epoch)?.seq;
    const base = Math.min(Number(at(names.state) ?? 0), Number(at(names.registry) ?? 0));
    start = { state: base + 1, lifecycle: base + 1 };
    const stateRows = await db.selectFrom('agents.state').select(['state_key', 'state_value', 'version_epoch', 'version', 'strategy', 'tombstone'])
      .where('agent_id', '=', agentId).execute();
    rows = stateRows.map((r) => ({ key: r.state_key, value: r.state_value, version: { epoch: Number(r.version_epoch), seq: Number(r.version) }, strategy: r.strategy, tombstone: r.tombstone }));
    const reg = await db.selectFrom('agents.registry').select(['status', 'agent_type', 'supervisor_id', 'version_epoch', 'version_seq'])
      .where('agent_id', '=', agentId).executeTakeFirst();
    if (reg) lifecycle = { state: reg.status, agentType: reg.agent_type, supervisorId: reg.supervisor_id, version: { epoch: Number(reg.version_epoch), seq: Number(reg.version_seq) } };
  }
  // Every event of either family up to this sequence is delivered by the time both catch up.
  const { lastSeq: headAtStart } = await deps.log.bounds();

  const out = new AsyncQueue<OutgoingMessage>();
  const readers: Record<Family, FamilyReader> = {
    state: readFamily(deps.log, `agents.state.${agentId}`, start.state, out),
    lifecycle: readFamily(deps.log, `agents.lifecycle.${agentId}`, start.lifecycle, out),
  };
  const stop = async () => {
    out.end();
    await Promise.all(Object.values(readers).map((r) => r.sub.stop()));
  };
  try {
    const [stateHead, lifecycleHead] = await Promise.all([readers.state.caughtUp, readers.lifecycle.caughtUp]);
    const { firstSeq } = await deps.log.bounds();
    if (cursor && (firstSeq > start.state || firstSeq > start.lifecycle)) {
      throw new WebError('REVISION_EXPIRED', `the events of ${agentId} after ${formatCursor(cursor)} are no longer kept (the stream now starts at ${firstSeq}): take a new snapshot`, { details: { firstSeq, epoch } });
    }
    const position = { state: start.state - 1, lifecycle: start.lifecycle - 1 };
    const strategies = new Map(rows.map((r) => [r.key, r.strategy]));
    const strategyOf = (key: string) => strategies.get(key) ?? 'lww';
    const emit = (m: SyncMessage): OutgoingMessage => {
      position[m.family] = Math.max(position[m.family], m.seq);
      if (m.name === 'change') { const c = m.body as { key: string; strategy: string }; strategies.set(c.key, c.strategy); }
      return { event: m.name, id: formatCursor({ epoch, stateSeq: position.state, lifecycleSeq: position.lifecycle }), data: m.body };
    };
    const merged = [
      ...readers.state.buffered.map((r) => ({ r, family: 'state' as const })),
      ...readers.lifecycle.buffered.map((r) => ({ r, family: 'lifecycle' as const })),
    ].sort((a, b) => a.r.seq - b.r.seq);
    let initial: OutgoingMessage[];
    if (cursor) {
      initial = merged.map(({ r, family }) => emit(messageOf(r, epoch, family, strategyOf)));
      position.state = Math.max(position.state, stateHead, headAtStart);
      position.lifecycle = Math.max(position.lifecycle, lifecycleHead, headAtStart);
    } else {
      const fold = foldFrom(rows, lifecycle);
      for (const { r } of merged) foldEvent(fold, r, epoch);
      position.state = Math.max(position.state, stateHead, headAtStart);
      position.lifecycle = Math.max(position.lifecycle, lifecycleHead, headAtStart);
      const state = liveEntries(fold);
      for (const [k, e] of Object.entries(state)) strategies.set(k, e.strategy);
      const revision = Math.max(0, ...merged.map(({ r }) => r.seq), ...rows.map((r) => (r.version.epoch === epoch ? r.version.seq : 0)), fold.lifecycle?.version.epoch === epoch ? fold.lifecycle.version.seq : 0);
      const id = formatCursor({ epoch, stateSeq: position.state, lifecycleSeq: position.lifecycle });
      const snapshot: SnapshotMessage = { agentId, epoch, revision, cursor: id, state, lifecycle: fold.lifecycle };
      initial = [{ event: 'snapshot', id, data: snapshot }];
    }
    for (const family of ['state', 'lifecycle'] as const) {
      const reader = readers[family];
      reader.onLive = (r) => out.push(emit(messageOf(r, epoch, family, strategyOf)));
      for (const r of reader.backlog.splice(0)) reader.onLive(r);
    }
    return { initial, live: out, stop, [Symbol.asyncDispose]: stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function readFamily(log: EventLog, filter: string, from: number, out: AsyncQueue<OutgoingMessage>): FamilyReader {
  const sub = log.subscribe({ filter, from: { seq: from } });
  let resolve!: (seq: number) => void;
  let reject!: (e: unknown) => void;
  const caughtUp = new Promise<number>((res, rej) => { resolve = res; reject = rej; });
  caughtUp.catch(() => undefined);
  const reader: FamilyReader = { sub, caughtUp, buffered: [], backlog: [] };
  let live = false;
  void (async () => {
    for await (const item of sub) {
      if (item.kind === 'caught-up') { live = true; resolve(item.seq); continue; }
      if (item.kind !== 'event') continue; // an undecodable event changes nothing a client can apply
      if (!live) reader.buffered.push(item.record);
      else if (reader.onLive) reader.onLive(item.record);
      else reader.backlog.push(item.record);
    }
  })().catch((e: unknown) => { reject(e); out.fail(e); });
  return reader;
}
