import { msError } from '@mister-smith/core';
import { defineAgentType } from './defineAgentType.js';

/** State of a `counter` agent: named numeric counters (`count` by default). */
export type CounterState = Record<string, number>;

const KEY = /^[A-Za-z0-9-][A-Za-z0-9_\-/=]{0,199}$/;

function keyOf(payload: unknown): string {
  const key = (payload as { key?: unknown } | undefined)?.key ?? 'count';
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw msError('INVALID_ARGUMENT', `counter key must be a state key ([A-Za-z0-9_-/=], no dots, not starting with "_"), got ${JSON.stringify(key)}`, { details: { key } });
  }
  return key;
}

function numberOf(payload: unknown, field: 'by' | 'value', fallback?: number): number {
  const v = (payload as Record<string, unknown> | undefined)?.[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw msError('INVALID_ARGUMENT', `counter ${field} must be a finite number, got ${JSON.stringify(v)}`, { details: { [field]: v } });
  }
  return v;
}

/**
 * Example agent type: numeric counters, last-writer-wins per key.
 * Commands: `increment { key = 'count', by = 1 }`, `set { key = 'count', value }`, `reset { key? }`
 * (one key, or every key, back to 0). Each returns the resulting value(s).
 */
export const counterAgent = defineAgentType<CounterState>({
  name: 'counter',
  initialState: { count: 0 },
  strategies: { default: 'lww' },
  commands: {
    increment(draft, payload) {
      const key = keyOf(payload);
      const by = numberOf(payload, 'by', 1);
      draft[key] = (draft[key] ?? 0) + by;
      return draft[key];
    },
    set(draft, payload) {
      const key = keyOf(payload);
      draft[key] = numberOf(payload, 'value');
      return draft[key];
    },
    reset(draft, payload) {
      if ((payload as { key?: unknown } | undefined)?.key !== undefined) {
        const key = keyOf(payload);
        draft[key] = 0;
        return { [key]: 0 };
      }
      for (const k of Object.keys(draft)) draft[k] = 0;
      return { ...draft };
    },
  },
});
