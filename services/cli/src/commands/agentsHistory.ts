import {
  agentKvKey, assertAgentId, assertStateKey, decodeKvStateEntry, JetStreamEventLog, JetStreamKvStore, JetStreamLargeValues, MisterSmithError, parseAgentKvKey, resolveEntry,
  msError, type RecordedEvent, type StartAt, type StateChangedData, type StateEditedInSqlData,
} from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { compactJson, formatTable } from '../cli/formatTable.js';
import { agentExists } from '../connection/agentExists.js';
import { openClients } from '../connection/openClients.js';

/** Options of `mister-smith agents history`. */
export interface AgentsHistoryOptions {
  /** Only values from this stream sequence or time on (`start`: everything kept). */
  readonly from?: StartAt;
  /** At most this many values: the first ones after `from` when it is given, else the latest ones. */
  readonly limit?: number;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One value of a key over time. */
export interface HistoryEntry {
  readonly key: string;
  /** Stream sequence of the event that produced the value. */
  readonly seq: number;
  readonly time: string;
  readonly op: 'put' | 'delete';
  readonly value: unknown;
  /** Who wrote it (a supervisor, `cli-...`, `sql` for edits made in PostgreSQL). */
  readonly writer: string | null;
  readonly eventType: string | null;
  /** The AGENT_STATE KV revision that held this value, when KV history still has it. */
  readonly kvRevision: number | null;
  /** `stream` (and KV), or `kv` only: the stream no longer keeps that event. */
  readonly source: 'stream' | 'kv';
}

/**
 * `mister-smith agents history ID [KEY]`: the values a key (or every key) had over time, from the
 * `agents.state.<id>` events still in the stream and the AGENT_STATE KV history (which may reach
 * further back than the stream's retention), oldest first. `from` starts at a stream sequence or
 * a time; `limit` keeps the first N after `from`, else the latest N. UNKNOWN_AGENT when nothing
 * (stream, KV, PostgreSQL) knows the agent, as `agents get` says.
 *
 * @example
 * for (const h of await agentsHistory('c1', 'count')) console.log(h.seq, h.value);
 */
export async function agentsHistory(agentId: string, key: string | undefined, options: AgentsHistoryOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<HistoryEntry[]> {
  assertAgentId(agentId);
  if (key !== undefined) assertStateKey(key);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const from = options.from === 'new' ? undefined : options.from;
  if (options.from === 'new') throw msError('INVALID_ARGUMENT', 'agents history --from takes start, a stream sequence or a time (new would show nothing)');
  const after = (seq: number, time: string) => from === undefined || from === 'start' || ('seq' in from ? seq >= from.seq : Date.parse(time) >= from.time.getTime());
  const log = new JetStreamEventLog(c.nats, c.topology.streams.agentState, { namespace: c.topology.namespace });
  const bySeq = new Map<string, HistoryEntry>();
  const id = (k: string, seq: number) => `${k}@${seq}`;
  for await (const item of log.read({ filter: `agents.state.${agentId}`, from: from ?? 'start' })) {
    if (item.kind !== 'event') continue;
    const h = fromEvent(item.record);
    if (h && (key === undefined || h.key === key)) bySeq.set(id(h.key, h.seq), h);
  }
  const kv = await JetStreamKvStore.open(c.nats, c.topology.buckets.agentState.bucket);
  const kvKeys = key !== undefined ? [agentKvKey(agentId, key)] : await kv.keys(`${agentId}.>`);
  for (const kvKey of kvKeys) {
    const stateKey = parseAgentKvKey(kvKey)?.stateKey;
    if (stateKey === undefined) continue;
    for (const rev of await kv.history(kvKey)) {
      if (rev.operation !== 'PUT') continue;
      let entry;
      try {
        entry = decodeKvStateEntry(kvKey, rev.value);
      } catch (e) {
        if (MisterSmithError.is(e, 'CORRUPT_ENTRY')) continue; // not a state entry: nothing to show
        throw e;
      }
      if (!after(entry.seq, rev.created.toISOString())) continue;
      const known = bySeq.get(id(stateKey, entry.seq));
      if (known) { bySeq.set(id(stateKey, entry.seq), { ...known, kvRevision: rev.revision }); continue; }
      // A large value travels by reference: fetched from the Object Store (shown as the reference once it expired).
      if (entry.ref) entry = await resolveEntry(JetStreamLargeValues.of(c.nats, c.topology.objects.largeValues), entry, `KV entry ${kvKey}`).catch(() => ({ ...entry!, value: { $ref: entry!.ref } }));
      bySeq.set(id(stateKey, entry.seq), {
        key: stateKey, seq: entry.seq, time: rev.created.toISOString(), op: entry.tombstone ? 'delete' : 'put',
        value: entry.tombstone ? null : entry.value, writer: null, eventType: null, kvRevision: rev.revision, source: 'kv',
      });
    }
  }
  const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq || a.key.localeCompare(b.key));
  const history = options.limit === undefined ? all : from !== undefined ? all.slice(0, options.limit) : all.slice(-options.limit);
  if (history.length === 0 && !(await agentExists(c, agentId))) {
    throw msError('UNKNOWN_AGENT', `agent ${agentId} has no events, no KV state${c.config.databaseUrl !== undefined ? ' and no registry row' : ''}`, { details: { agentId } });
  }
  output.result(history, () => (history.length === 0
    ? `no history for ${agentId}${key !== undefined ? `.${key}` : ''}${from !== undefined && from !== 'start' ? ` from ${'seq' in from ? `seq ${from.seq}` : from.time.toISOString()} on` : ''} (the stream and KV keep none)`
    : formatTable(['SEQ', 'TIME', 'KEY', 'OP', 'VALUE', 'WRITER', 'KV REV'], history.map((h) => [
      String(h.seq), h.time, h.key, h.op, compactJson(h.value), h.writer ?? (h.source === 'kv' ? '(kv only)' : '-'), h.kvRevision === null ? '-' : String(h.kvRevision),
    ]))));
  return history;
}

function fromEvent(r: RecordedEvent): HistoryEntry | undefined {
  const e = r.event;
  const base = { seq: r.seq, time: e.time, eventType: e.type, kvRevision: null, source: 'stream' as const };
  if (e.type === 'StateChanged') {
    const d = e.data as StateChangedData;
    return { ...base, key: d.key, op: d.op, value: d.op === 'delete' ? null : d.value, writer: d.writer };
  }
  if (e.type === 'StateEditedInSql') {
    const d = e.data as StateEditedInSqlData;
    const del = d.operation === 'DELETE' || d.tombstone === true;
    return { ...base, key: d.state_key, op: del ? 'delete' : 'put', value: del ? null : d.new_value, writer: 'sql' };
  }
  return undefined;
}
