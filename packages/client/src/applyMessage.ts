import type { ChangeMessage, LifecycleMessage, LifecycleView, SnapshotMessage, SyncedEntry } from './protocol.js';

/** The local copy the client keeps: what the snapshot said, with every change since applied. */
export interface LocalCopy {
  readonly entries: Readonly<Record<string, SyncedEntry>>;
  readonly lifecycle: LifecycleView | null;
  /** Highest stream sequence applied (the snapshot's revision, then each event's). */
  readonly revision: number;
}

/** The copy before any snapshot. */
export const EMPTY_COPY: LocalCopy = { entries: {}, lifecycle: null, revision: 0 };

/** A snapshot replaces the local copy. */
export function applySnapshot(s: SnapshotMessage): LocalCopy {
  return { entries: { ...s.state }, lifecycle: s.lifecycle, revision: s.revision };
}

/** A change writes or removes one key at the event's version. */
export function applyChange(copy: LocalCopy, c: ChangeMessage): LocalCopy {
  const entries = { ...copy.entries };
  if (c.op === 'delete') delete entries[c.key];
  else entries[c.key] = { value: c.value, version: { epoch: c.epoch, seq: c.seq }, strategy: c.strategy };
  return { entries, lifecycle: copy.lifecycle, revision: Math.max(copy.revision, c.seq) };
}

/** A lifecycle transition moves the agent's lifecycle view. */
export function applyLifecycle(copy: LocalCopy, l: LifecycleMessage): LocalCopy {
  return {
    entries: copy.entries,
    lifecycle: { state: l.to, agentType: l.agentType, supervisorId: l.supervisorId, version: { epoch: l.epoch, seq: l.seq } },
    revision: Math.max(copy.revision, l.seq),
  };
}
