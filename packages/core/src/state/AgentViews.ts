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
export class AgentViews {
  readonly #views = new Map<string, AgentView>();
  readonly #max: number;

  constructor(maxAgents: number) {
    this.#max = Math.max(1, maxAgents);
  }

  get(agentId: string): AgentView | undefined {
    const v = this.#views.get(agentId);
    if (v) { this.#views.delete(agentId); this.#views.set(agentId, v); }
    return v;
  }

  set(agentId: string, view: AgentView): void {
    this.#views.delete(agentId);
    this.#views.set(agentId, view);
    while (this.#views.size > this.#max) this.#views.delete(this.#views.keys().next().value as string);
  }

  delete(agentId: string): void {
    this.#views.delete(agentId);
  }
}
