import { msError } from '@mister-smith/core';
import { defineAgentType } from './defineAgentType.js';

/** State of an `assistant` agent: what it did, newest last (at most 50 entries). */
export type AssistantState = {
  readonly log: string[];
  readonly answers: Record<string, unknown>;
  readonly ticks: number;
};

const text = (payload: unknown, field: string): string => {
  const v = (payload as Record<string, unknown> | undefined)?.[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > 500) throw msError('INVALID_ARGUMENT', `${field} must be a string of 1 to 500 characters`, { details: { [field]: v } });
  return v;
};

const note = (log: string[], line: string) => { log.push(line); if (log.length > 50) log.splice(0, log.length - 50); };

/**
 * Example agent type showing the agent runtime: durable timers, human-in-the-loop waits and durable steps.
 * - `remind { text, delayMs | at, id? }` arms a one-shot timer that runs `reminded` (logs the text);
 * - `every { everyMs | cron, id? }` arms a repeating timer that runs `tick`; `cancel { id }` cancels a timer;
 * - `ask { question, requestId?, timeoutMs? }` opens a wait: `mister-smith agents resume <id> <requestId> <json>`
 *   runs `answered` (stores the answer), the deadline runs `expired`;
 * - `research { topic }` runs one step (`ctx.step`) whose result is recorded: a re-run of the same command id does not call it again.
 */
export const assistantAgent = defineAgentType<AssistantState>({
  name: 'assistant',
  initialState: { log: [], answers: {}, ticks: 0 },
  commands: {
    remind(draft, payload, ctx) {
      const p = (payload ?? {}) as { id?: string; delayMs?: number; at?: string };
      const msg = text(payload, 'text');
      const id = ctx.timers.set({ ...(p.id ? { id: p.id } : {}), command: 'reminded', payload: { text: msg }, ...(p.at !== undefined ? { at: p.at } : { delayMs: p.delayMs ?? 1000 }) });
      note(draft.log, `reminder ${id} armed`);
      return { timerId: id };
    },
    reminded(draft, payload, ctx) {
      note(draft.log, `reminder: ${text(payload, 'text')}${ctx.trigger.kind === 'timer' ? ` (${ctx.trigger.lateMs} ms late)` : ''}`);
    },
    every(draft, payload, ctx) {
      const p = (payload ?? {}) as { id?: string; everyMs?: number; cron?: string; missed?: 'skip' | 'fire-once' };
      const id = ctx.timers.set({ id: p.id ?? 'tick', command: 'tick', ...(p.cron !== undefined ? { cron: p.cron } : { everyMs: p.everyMs ?? 5000 }), ...(p.missed ? { missed: p.missed } : {}) });
      note(draft.log, `timer ${id} armed`);
      return { timerId: id };
    },
    tick(draft) {
      draft.ticks += 1;
      return draft.ticks;
    },
    cancel(draft, payload, ctx) {
      const id = text(payload, 'id');
      const cancelled = ctx.timers.cancel(id);
      note(draft.log, `timer ${id} ${cancelled ? 'cancelled' : 'was not armed'}`);
      return { cancelled };
    },
    ask(draft, payload, ctx) {
      const p = (payload ?? {}) as { requestId?: string; timeoutMs?: number };
      const question = text(payload, 'question');
      const requestId = ctx.wait({ ...(p.requestId ? { requestId: p.requestId } : {}), payload: { question }, ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}), onResume: 'answered', onTimeout: 'expired' });
      note(draft.log, `waiting for ${requestId}: ${question}`);
      return { requestId };
    },
    answered(draft, payload) {
      const { requestId, value } = payload as { requestId: string; value: unknown };
      draft.answers[requestId] = value;
      note(draft.log, `answer to ${requestId}: ${JSON.stringify(value)}`);
      return { requestId, value };
    },
    expired(draft, payload) {
      const { requestId } = payload as { requestId: string };
      note(draft.log, `no answer to ${requestId} before its deadline`);
    },
    async research(draft, payload, ctx) {
      const topic = text(payload, 'topic');
      const found = await ctx.step('lookup', () => ({ topic, summary: `notes on ${topic}`, at: new Date().toISOString() }));
      note(draft.log, `researched ${topic}: ${found.summary}`);
      return found;
    },
  },
});
