import type { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import { frameworkTransaction } from '../pg/createDatabase.js';
import { upsertStateRows, type StateRow } from '../pg/upsertStateRows.js';
import { stateChanged, type StateChanged } from '../state/stateEvents.js';

/**
 * A deterministic mix of puts and deletes over `agents` x `keys`, for tests and benchmarks.
 * `salt` varies the values between calls.
 */
export function stateWorkload(count: number, options: { agents?: number; keys?: number; salt?: string; deleteEvery?: number } = {}): StateChanged[] {
  const agents = options.agents ?? 20;
  const keys = options.keys ?? 10;
  const salt = options.salt ?? 'w';
  const del = options.deleteEvery ?? 7;
  const out: StateChanged[] = [];
  for (let i = 0; i < count; i++) {
    const agent = `agent-${i % agents}`;
    const key = `k${Math.floor(i / agents) % keys}`;
    const isDelete = del > 0 && i % del === del - 1;
    out.push(stateChanged(agent, isDelete
      ? { key, op: 'delete', value: null, stored: null, strategy: 'lww', writer: 'test' }
      : { key, op: 'put', value: { n: i, salt, nested: { list: [i, `${salt}-${i}`] } }, stored: { hlc: `${i}` }, strategy: 'lww', writer: 'test' }));
  }
  return out;
}

/** What `agents.state` must hold after `events` were appended at `seqs` (newest per key wins). */
export function expectedState(events: readonly StateChanged[], seqs: readonly number[], epoch: number): Map<string, { value: unknown; tombstone: boolean; seq: number; epoch: number }> {
  const out = new Map<string, { value: unknown; tombstone: boolean; seq: number; epoch: number }>();
  events.forEach((e, i) => {
    const k = `${e.agentId}/${e.data.key}`;
    const seq = seqs[i]!;
    const prev = out.get(k);
    if (prev && prev.seq > seq) return;
    out.set(k, { value: e.data.op === 'delete' ? null : e.data.value, tombstone: e.data.op === 'delete', seq, epoch });
  });
  return out;
}

/** Options of `seedAgentState`. */
export interface SeedAgentStateOptions {
  /** Agents (`<prefix>-0` ... ) and keys per agent (`k0` ...); defaults 10 and 4. */
  readonly agents?: number;
  readonly keys?: number;
  /** Writes in all (default agents x keys: one per key); with more, keys are written again. */
  readonly writes?: number;
  /** Every n-th write deletes its key (default 0: none). */
  readonly deleteEvery?: number;
  /** Agent id prefix (default `agent`) and a salt that varies the values between calls. */
  readonly prefix?: string;
  readonly salt?: string;
}

/** What `seedAgentState` wrote, and what the state of each agent key must be after it. */
export interface SeededAgentState {
  readonly agents: readonly string[];
  readonly events: readonly StateChanged[];
  /** Stream sequence of each event, and the stream's epoch. */
  readonly seqs: readonly number[];
  readonly epoch: number;
  /** The last sequence written. */
  readonly head: number;
  /** `<agentId>/<key>` -> the newest value (null when deleted), tombstone and version. */
  readonly expected: ReadonlyMap<string, { value: unknown; tombstone: boolean; seq: number; epoch: number }>;
}

/**
 * Fixture: agents with state, as events. Appends `StateChanged` events (the ones the state store
 * writes) for `agents` x `keys` to the env's AGENT_STATE stream, in batches, and returns them with
 * the state each key must end up in (newest write wins). A projection, a rebuild or a subscriber can
 * then be checked against `expected`.
 *
 * @example
 * await using env = await startTestEnv();
 * const seeded = await seedAgentState(env, { agents: 5, keys: 4, writes: 300 });
 * // ... run a projection to seeded.head, then compare agents.state with seeded.expected
 */
export async function seedAgentState(env: { readonly logs: { readonly agentState: JetStreamEventLog } }, options: SeedAgentStateOptions = {}): Promise<SeededAgentState> {
  const agents = options.agents ?? 10;
  const keys = options.keys ?? 4;
  const prefix = options.prefix ?? 'agent';
  const events = stateWorkload(options.writes ?? agents * keys, { agents, keys, salt: options.salt ?? 'seed', deleteEvery: options.deleteEvery ?? 0 })
    .map((e) => prefix === 'agent' ? e : stateChanged(`${prefix}-${e.agentId!.slice('agent-'.length)}`, e.data));
  const seqs: number[] = [];
  for (let i = 0; i < events.length; i += 1000) {
    for (const ack of await env.logs.agentState.appendBatch(events.slice(i, i + 1000))) seqs.push(ack.seq);
  }
  const epoch = await env.logs.agentState.epoch();
  return {
    agents: Array.from({ length: agents }, (_, i) => `${prefix}-${i}`),
    events, seqs, epoch, head: seqs[seqs.length - 1] ?? 0,
    expected: expectedState(events, seqs, epoch),
  };
}

/**
 * Fixture: agents with state, as rows. Writes `agents.state` rows directly (versions 1, 2, ... in
 * epoch 0, the framework's own transaction, so the outbox trigger does not echo them to NATS): for
 * tests of what reads PostgreSQL (hydration, history, the web views) without running projections.
 * `state` maps agent id -> key -> value.
 *
 * @example
 * await seedStateRows(env, { 'agent-1': { plan: ['a', 'b'], step: 2 } });
 */
export async function seedStateRows(env: { readonly pg: DatabaseHandle }, state: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Promise<StateRow[]> {
  let seq = 0;
  const rows: StateRow[] = Object.entries(state).flatMap(([agentId, values]) => Object.entries(values).map(([stateKey, value]) => ({
    agentId, stateKey, value, stored: null, epoch: 0, seq: ++seq, tombstone: false, strategy: 'lww' as const,
  })));
  await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, rows));
  return rows;
}
