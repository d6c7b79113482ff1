import type { Supervisor } from '@mister-smith/actors';
import type { DatabaseHandle, Logger } from '@mister-smith/core';
import { sql } from 'kysely';

/** What the demo fleet has done so far. */
export interface DemoStats {
  commands: number;
  notes: number;
  tasksInserted: number;
  passivations: number;
  /** Passivated agents that the demo's next command brought back (EXPIRED -> HYDRATING -> ACTIVE). */
  reactivations: number;
  /** Tasks made to fail on purpose that have ended `failed` (as of the last `figures()`). */
  failuresOnPurpose: number;
}

/** A running demo fleet. */
export interface DemoFleet extends AsyncDisposable {
  readonly agents: readonly string[];
  stats(): Readonly<DemoStats>;
  /** The stats, with the failures made on purpose counted in tasks.queue now. */
  figures(): Promise<Readonly<DemoStats>>;
  /** Finishes the current tick. */
  stop(): Promise<void>;
}

/** Options of `startDemoFleet`. */
export interface DemoFleetOptions {
  readonly supervisor: Supervisor;
  readonly pg: DatabaseHandle;
  readonly logger: Logger;
  /** Progress lines for the person watching (`up` prints them). */
  readonly say: (line: string) => void;
  readonly counters?: number;
  readonly notes?: number;
  /** Time between two ticks of work (default 400 ms). */
  readonly tickMs?: number;
  /**
   * Receives the id of every task the demo makes fail on purpose, so the caller can keep their
   * expected failures out of the warnings (they are summed up on the status line instead).
   */
  readonly onPurpose?: Set<string>;
}

/**
 * The fleet of `up --demo`: a few `counter` and `notes` agents doing work, so a newcomer sees the
 * whole system move. Every tick commands an agent; every fifth inserts a task row into
 * `tasks.queue` for a counter, which the system takes all the way through (bridge ->
 * `tasks.created`, the supervisor's task worker -> `running` / `tasks.started`, the agent's
 * `increment` command, `completed`); every fourth task carries a payload the counter refuses, so it
 * is retried and ends `failed` and dead-lettered. Every 25th tick passivates an agent, which the
 * next command re-activates (EXPIRED -> HYDRATING -> ACTIVE). An `assistant` agent ticks on a
 * durable interval timer and waits for a human answer (`agents resume`), asking again every minute or so.
 */
export async function startDemoFleet(options: DemoFleetOptions): Promise<DemoFleet> {
  const { supervisor, pg, say, logger } = options;
  const counters = Array.from({ length: options.counters ?? 3 }, (_, i) => `demo-counter-${i + 1}`);
  const notes = Array.from({ length: options.notes ?? 2 }, (_, i) => `demo-notes-${i + 1}`);
  const stats: DemoStats = { commands: 0, notes: 0, tasksInserted: 0, passivations: 0, reactivations: 0, failuresOnPurpose: 0 };
  const onPurpose = options.onPurpose ?? new Set<string>();
  const passivated = new Set<string>();
  for (const id of counters) await supervisor.spawn('counter', id);
  for (const id of notes) await supervisor.spawn('notes', id);
  const assistant = 'demo-assistant';
  await supervisor.spawn('assistant', assistant);
  // A durable interval timer (fires through the owner, re-armed after a restart) and a human-in-the-loop wait.
  await supervisor.command(assistant, 'every', { id: 'tick', everyMs: 5_000 });
  let asked = 0;
  const ask = async () => {
    const requestId = `demo-q${++asked}`;
    await supervisor.command(assistant, 'ask', { requestId, question: 'Ship the demo release?', timeoutMs: 120_000 });
    say(`demo: ${assistant} waits for an answer: mister-smith agents resume ${assistant} ${requestId} '"yes"' (agents list --waiting shows it; it times out in 2 min)`);
  };
  await ask();
  say(`demo: ${assistant} ticks every 5 s on a durable timer (mister-smith agents timers ${assistant})`);
  say(`demo: spawned ${counters.length} counter agents (${counters.join(', ')}) and ${notes.length} notes agents (${notes.join(', ')})`);
  say('demo: every few ticks a row goes into tasks.queue; the supervisor runs it on its agent (every fourth one fails on purpose: counted on the status line, not logged)');
  say('demo: every 25th tick passivates a counter (ACTIVE -> EXPIRED); its next command re-activates it');

  async function tick(i: number): Promise<void> {
    const counter = counters[i % counters.length]!;
    await supervisor.command(counter, 'increment', { by: 1 + (i % 3) });
    stats.commands++;
    if (passivated.delete(counter)) stats.reactivations++;
    if (i % 4 === 0 && notes.length > 0) {
      await supervisor.command(notes[(i / 4) % notes.length]!, 'addNote', { text: `note ${i / 4 + 1} from the demo`, id: `n${i}` });
      stats.notes++;
    }
    if (i % 5 === 0) {
      const bad = (i / 5) % 4 === 3;
      const row = await sql<{ task_id: string }>`INSERT INTO tasks.queue (task_type, assigned_agent_id, payload, metadata)
        VALUES ('increment', ${counter}, ${JSON.stringify(bad ? { by: 'lots' } : { key: 'tasks', by: 1 })}::jsonb, ${JSON.stringify({ source: 'demo', ...(bad ? { failsOnPurpose: true } : {}) })}::jsonb)
        RETURNING task_id`.execute(pg.db);
      if (bad && row.rows[0]) onPurpose.add(row.rows[0].task_id);
      stats.tasksInserted++;
    }
    if (i % 150 === 149) await ask();
    if (i % 25 === 24) {
      const agent = counters[(i + 1) % counters.length]!;
      await supervisor.stopAgent(agent);
      passivated.add(agent);
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
  })());
  const figures = async (): Promise<DemoStats> => {
    if (onPurpose.size > 0) {
      const failed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tasks.queue WHERE status = 'failed' AND task_id = ANY(${[...onPurpose]}::uuid[])`.execute(pg.db);
      stats.failuresOnPurpose = failed.rows[0]?.n ?? 0;
    }
    return { ...stats };
  };
  return { agents: [...counters, ...notes, assistant], stats: () => ({ ...stats }), figures, stop, [Symbol.asyncDispose]: stop };
}
