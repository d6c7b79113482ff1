import { assertAgentId, type EventLog, type RecordedEvent } from '@mister-smith/core';

/**
 * The agent's most recent events still in the stream (state and lifecycle subjects), oldest first:
 * the history a timeline starts from before the sync endpoint's live changes.
 */
export async function readAgentEvents(log: EventLog, agentId: string, limit = 50): Promise<{ seq: number; event: RecordedEvent['event']; family: 'state' | 'lifecycle' }[]> {
  assertAgentId(agentId);
  const out: { seq: number; event: RecordedEvent['event']; family: 'state' | 'lifecycle' }[] = [];
  for (const family of ['state', 'lifecycle'] as const) {
    const recent: RecordedEvent[] = [];
    for await (const item of log.read({ filter: `agents.${family}.${agentId}`, from: 'start' })) {
      if (item.kind !== 'event') continue;
      recent.push(item.record);
      if (recent.length > limit) recent.shift();
    }
    out.push(...recent.map((r) => ({ seq: r.seq, event: r.event, family })));
  }
  return out.sort((a, b) => a.seq - b.seq).slice(-limit);
}
