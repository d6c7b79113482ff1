import { LRUCache } from 'lru-cache';
import type { VersionedValue } from './VersionedValue.js';

/**
 * What a writer knows of one agent: every key's latest entry as of `seq`, the last sequence on
 * `agents.state.<agentId>`. A write appends with `seq` as the expected last subject sequence,
 * so it succeeds only when nobody else appended since; a lost race catches up from the stream.
 * `kvRevisions` lets the KV write go straight to `update(revision)` instead of read-then-update.
 */
export interface AgentView {
  seq: number;
  readonly entries: Map<string, VersionedValue>;
  readonly kvRevisions: Map<string, number>;
}

/** A size-bounded LRU of agent views; an evicted view is rebuilt (PostgreSQL + stream) on next use. */
export class AgentViews extends LRUCache<string, AgentView> {
  constructor(maxAgents: number) {
    super({ max: Math.max(1, maxAgents) });
  }
}
