import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** JSON stored in a jsonb column. */
export type Json = ColumnType<unknown, string, string>;

/** `agents.registry`: one row per known agent (seed section 3). */
export interface AgentRegistryTable {
  agent_id: string;
  agent_type: string;
  status: string;
  metadata: JSONColumnType<Record<string, unknown>>;
  supervisor_id: string | null;
  last_transition_at: Date | null;
  last_heartbeat_at: Date | null;
  version_epoch: Generated<number>;
  version_seq: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** `agents.state`: durable agent state, one row per (agent, key), versioned by (epoch, seq). */
export interface AgentStateTable {
  agent_id: string;
  state_key: string;
  /** The user-visible value (what `getState` returns and an operator edits). */
  state_value: Json | null;
  /** The strategy's stored form (HLC, vector clock, Automerge binary), null for plain rows. */
  meta: Json | null;
  version_epoch: number;
  version: number;
  tombstone: Generated<boolean>;
  strategy: Generated<string>;
  updated_at: Generated<Date>;
}

/** `tasks.queue`: the source of truth for tasks (seed 6.4); TASK_EXECUTION is its change feed. */
export interface TaskQueueTable {
  task_id: Generated<string>;
  task_type: string;
  status: Generated<string>;
  assigned_agent_id: string | null;
  priority: Generated<number>;
  payload: Json | null;
  result: Json | null;
  error: string | null;
  attempts: Generated<number>;
  metadata: Generated<Json>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** `mister_smith.projection_checkpoints`: one row per projection, advanced with compare-and-set. */
export interface CheckpointTable {
  projection: string;
  stream: string;
  epoch: number;
  seq: number;
  status: Generated<string>;
  reason: string | null;
  updated_at: Generated<Date>;
}

/** `mister_smith.event_archive`: every event ever projected, keyed by stream incarnation and sequence. */
export interface EventArchiveTable {
  stream: string;
  epoch: number;
  seq: number;
  subject: string;
  event_id: string;
  event_type: string;
  agent_id: string | null;
  envelope: Json;
  stored_at: Date;
}

/** `mister_smith.dead_letters`: events or tasks given up on, with the reason. */
export interface DeadLetterTable {
  id: Generated<number>;
  source: string;
  stream: string | null;
  seq: number | null;
  subject: string | null;
  reason: string;
  payload: string | null;
  created_at: Generated<Date>;
}

/** `mister_smith.outbox`: changes made in SQL, waiting for the bridge to publish them. */
export interface OutboxTable {
  id: Generated<number>;
  subject: string;
  event_type: string;
  payload: Json;
  created_at: Generated<Date>;
  published_at: Date | null;
}

/** `mister_smith.task_view`: the task projection's read model (one row per task, latest event). */
export interface TaskViewTable {
  task_id: string;
  task_type: string;
  status: string;
  previous_status: string | null;
  assigned_agent_id: string | null;
  priority: number;
  attempts: number;
  payload: Json | null;
  result: Json | null;
  error: string | null;
  metadata: Json;
  last_event_type: string;
  created_at: Date | null;
  changed_at: Date;
  version_epoch: number;
  version_seq: number;
}

/** `mister_smith.agent_timers`: due-time index of durable timers (the agent's `_runtime` state is the truth). */
export interface AgentTimerTable {
  agent_id: string;
  timer_id: string;
  agent_type: string;
  due_at: Date;
  spec: Json;
  updated_at: Generated<Date>;
}

/** `mister_smith.agent_waits`: pending human-in-the-loop requests, across the fleet. */
export interface AgentWaitTable {
  agent_id: string;
  request_id: string;
  agent_type: string;
  payload: Json | null;
  deadline: Date | null;
  created_at: Generated<Date>;
}

/** `mister_smith.erased_agents`: agents removed everywhere by an erasure; their ids stay reserved. */
export interface ErasedAgentTable {
  agent_id: string;
  erased_at: Generated<Date>;
  removed: JSONColumnType<Record<string, unknown>>;
}

/** `mister_smith.agent_snapshots`: an agent's state folded up to (epoch, seq). */
export interface AgentSnapshotTable {
  agent_id: string;
  epoch: number;
  seq: number;
  state: JSONColumnType<Record<string, unknown>>;
  event_time: Date | null;
  events: number;
  created_at: Generated<Date>;
}

/** `mister_smith.command_results`: each command an owner ran, with its reply (durable command-id dedup). */
export interface CommandResultTable {
  agent_id: string;
  command_id: string;
  /** `commandDigest(name, payload)`: a retry with another payload is an IDEMPOTENCY_CONFLICT. */
  digest: string;
  reply: Json;
  version_epoch: number;
  version: number;
  recorded_at: Date;
}

/** The typed schema kysely checks queries against. */
export interface Database {
  'agents.registry': AgentRegistryTable;
  'agents.state': AgentStateTable;
  'tasks.queue': TaskQueueTable;
  'mister_smith.projection_checkpoints': CheckpointTable;
  'mister_smith.event_archive': EventArchiveTable;
  'mister_smith.dead_letters': DeadLetterTable;
  'mister_smith.outbox': OutboxTable;
  'mister_smith.task_view': TaskViewTable;
  'mister_smith.agent_timers': AgentTimerTable;
  'mister_smith.agent_waits': AgentWaitTable;
  'mister_smith.erased_agents': ErasedAgentTable;
  'mister_smith.agent_snapshots': AgentSnapshotTable;
  'mister_smith.command_results': CommandResultTable;
}
