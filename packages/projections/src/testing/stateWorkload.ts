import { stateChanged, type StateChanged } from '@mister-smith/core';

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
