import type { Supervisor } from '@mister-smith/actors';
import { MisterSmithError, type DatabaseHandle, type Logger, type NatsHandle, type TaskEvent, type Topology } from '@mister-smith/core';
import { startTaskProcessor, type TaskProcessor } from '@mister-smith/projections';
import { sql } from 'kysely';

/** What the demo fleet has done so far. */
export interface DemoStats {
  commands: number;
  notes: number;
  tasksCreated: number;
  tasksCompleted: number;
  tasksFailed: number;
  passivations: number;
}

/** A running demo fleet. */
export interface DemoFleet extends AsyncDisposable {
  readonly agents: readonly string[];
  stats(): Readonly<DemoStats>;
  /** Finishes the current tick and the tasks in flight. */
  stop(): Promise<void>;
}

/** Options of `startDemoFleet`. */
export interface DemoFleetOptions {
  readonly supervisor: Supervisor;
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger: Logger;
  /** Progress lines for the person watching (`up` prints them). */
  readonly say: (line: string) => void;
  readonly counters?: number;
  readonly notes?: number;
  /** Time between two ticks of work (default 400 ms). */
  readonly tickMs?: number;
}

/**
 * The fleet of `up --demo`: a few `counter` and `notes` agents doing work, so a newcomer sees the
 * whole system move. Every tick commands an agent; every fifth inserts a task row into
 * `tasks.queue` (the bridge publishes `tasks.created`), a dispatcher marks pending demo tasks
 * `running` (`tasks.started`), and the seed's task processor (`startTaskProcessor`) runs each as
 * the assigned agent's command named by `task_type` and records `completed` or `failed`. Every
 * 25th tick passivates an agent, which the next command re-activates (COLD -> HYDRATING -> ACTIVE).
 */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const { supervisor, pg, say, logger } = options;
  const counters = Array.from({ length: options.counters ?? 3 }, (_, i) => `demo-counter-${i + 1}`);
  const notes = Array.from({ length: options.notes ?? 2 }, (_, i) => `demo-notes-${i + 1}`);
  const stats: DemoStats = { commands: 0, notes: 0, tasksCreated: 0, tasksCompleted: 0, tasksFailed: 0, passivations: 0 };
  for (const id of counters) await supervisor.spawn('counter', id);
  for (const id of notes) await supervisor.spawn('notes', id);
  say(`demo: spawned ${counters.length} counter agents (${counters.join(', ')}) and ${notes.length} notes agents (${notes.join(', ')})`);

  const processor: TaskProcessor = await startTaskProcessor({
    nats: options.nats, pg, topology: options.topology, logger: logger.child({ role: 'demo-tasks' }),
    handler: (task) => runTask(task),
  });
  say('demo: a task row is inserted into tasks.queue every few ticks; each runs as a command of its assigned agent');

  async function runTask(task: TaskEvent): Promise<void> {
    const { task_id: taskId, task_type: command, assigned_agent_id: agentId, payload } = task.data;
    const finish = (status: 'completed' | 'failed', fields: { result?: unknown; error?: string }) => sql`
      UPDATE tasks.queue SET status = ${status}, result = ${fields.result === undefined ? null : JSON.stringify(fields.result)}::jsonb,
        error = ${fields.error ?? null}, updated_at = now()
      WHERE task_id = ${taskId}::uuid AND status = 'running'`.execute(pg.db);
    if (!agentId) {
      await finish('failed', { error: 'the task has no assigned agent' });
      stats.tasksFailed++;
      return;
    }
    try {
      const reply = await supervisor.command(agentId, command, payload ?? undefined, { commandId: `task-${taskId}` });
      await finish('completed', { result: reply.result });
      stats.tasksCompleted++;
    } catch (e) {
      // A bad payload or an unknown command will not get better with a retry: record the failure.
      if (!MisterSmithError.is(e, 'INVALID_ARGUMENT') && !MisterSmithError.is(e, 'UNKNOWN_COMMAND') && !MisterSmithError.is(e, 'UNKNOWN_AGENT')) throw e;
      await finish('failed', { error: `${e.code}: ${e.message}` });
      stats.tasksFailed++;
    }
  }

  const dispatch = () => sql`
    UPDATE tasks.queue SET status = 'running', attempts = attempts + 1, updated_at = now()
    WHERE task_id IN (
      SELECT task_id FROM tasks.queue WHERE status = 'pending' AND metadata->>'source' = 'demo'
      ORDER BY priority DESC, created_at LIMIT 10 FOR UPDATE SKIP LOCKED)`.execute(pg.db);

  async function tick(i: number): Promise<void> {
    const counter = counters[i % counters.length]!;
    await supervisor.command(counter, 'increment', { by: 1 + (i % 3) });
    stats.commands++;
    if (i % 4 === 0 && notes.length > 0) {
      await supervisor.command(notes[(i / 4) % notes.length]!, 'addNote', { text: `note ${i / 4 + 1} from the demo`, id: `n${i}` });
      stats.notes++;
    }
    if (i % 5 === 0) {
      // Every fourth task carries a payload the counter refuses, so failed tasks show up too.
      const bad = (i / 5) % 4 === 3;
      await sql`INSERT INTO tasks.queue (task_type, assigned_agent_id, payload, metadata)
        VALUES ('increment', ${counter}, ${JSON.stringify(bad ? { by: 'lots' } : { key: 'tasks', by: 1 })}::jsonb, ${JSON.stringify({ source: 'demo' })}::jsonb)`.execute(pg.db);
      stats.tasksCreated++;
    }
    await dispatch();
    if (i % 25 === 24) {
      await supervisor.stopAgent(counters[(i + 1) % counters.length]!);
      stats.passivations++;
    }
  }

  const tickMs = options.tickMs ?? 400;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let n = 0;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick(n++)
        .catch((e: unknown) => { if (!stopped) logger.warn({ err: e }, 'demo tick failed; the demo goes on'); })
        .finally(() => { running = undefined; schedule(); });
    }, tickMs);
  };
  schedule();

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
    await processor.stop();
  })());
  return { agents: [...counters, ...notes], stats: () => ({ ...stats }), stop, [Symbol.asyncDispose]: stop };
}
