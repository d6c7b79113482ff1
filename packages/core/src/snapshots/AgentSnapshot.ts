/** An agent's whole state folded up to one stream position: the start of every history fold after it. */
export interface AgentSnapshot {
  readonly agentId: string;
  /** Stream incarnation of the last event folded. */
  readonly epoch: number;
  /** Sequence of the last event folded (the snapshot's revision). */
  readonly seq: number;
  /** Every key, framework keys (`_runtime`) included, as the fold left it. */
  readonly state: Readonly<Record<string, unknown>>;
  /** Time of the last event folded (ISO-8601), if any. */
  readonly time?: string;
  /** State events folded since the agent's first event (snapshot included). */
  readonly events: number;
}

/** Where a snapshot may lie: at or before a sequence, or at or before a time, of one incarnation. */
export type SnapshotPoint = { readonly epoch: number; readonly seq: number } | { readonly epoch: number; readonly time: Date };
