import { encodeToken } from '../ids/encodeToken.js';

/** Where a thread namespace lives in NATS: its event subjects (logical, without the namespace) and its KV key. */
export interface ThreadKeys {
  readonly threadId: string;
  readonly ns: string;
  /** `langgraph.c.<thread>.<ns>`: checkpoint events; its last sequence is the thread namespace's fencing token. */
  readonly checkpointSubject: string;
  /** `langgraph.w.<thread>.<ns>`: pending-write events. */
  readonly writesSubject: string;
  /** `c.<thread>.<ns>`: the hot head entry. */
  readonly headKey: string;
  /** A map key for in-process caches. */
  readonly id: string;
}

/** The subjects and key of a (thread, checkpoint namespace), by the injective token encoding. */
export function threadKeys(threadId: string, ns: string): ThreadKeys {
  const t = encodeToken(threadId);
  const n = encodeToken(ns);
  return {
    threadId, ns,
    checkpointSubject: `langgraph.c.${t}.${n}`,
    writesSubject: `langgraph.w.${t}.${n}`,
    headKey: `c.${t}.${n}`,
    id: `${t}.${n}`,
  };
}

/** Subject filter of every event of a thread (all namespaces, checkpoints and writes). */
export function threadSubjectFilter(threadId: string): string {
  return `langgraph.*.${encodeToken(threadId)}.*`;
}

/** KV key filter of every head of a thread. */
export function threadHeadFilter(threadId: string): string {
  return `c.${encodeToken(threadId)}.*`;
}
