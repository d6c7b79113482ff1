import { mapLimit } from '@mister-smith/core/util';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { createSupervisor } from '../supervisor/createSupervisor.js';
import type { ActorBenchEnv, ActorBenchFigure } from './actorBench.js';

/** Options of `benchTimers`. */
export interface TimerBenchOptions {
  readonly quick?: boolean;
  readonly progress?: (line: string) => void;
  /** Timers armed at once (default 10,000; quick 1,000). */
  readonly timers?: number;
  /** Timers per agent (default 10). */
  readonly perAgent?: number;
  /** The due times are spread over this window (default 10 s; quick 2 s). */
  readonly windowMs?: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Lateness of plain in-process `setTimeout`s due on the same schedule (the floor a durable timer is compared with). */
async function rawTimerLateness(total: number, windowMs: number): Promise<{ p50: number; p99: number }> {
  const start = performance.now() + 50;
  const spacing = windowMs / total;
  const lateness = await Promise.all(Array.from({ length: total }, (_, i) => new Promise<number>((resolve) => {
    const due = start + i * spacing;
    setTimeout(() => resolve(Math.max(0.001, performance.now() - due)), due - performance.now());
  })));
  const sorted = lateness.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/**
 * The timer section of `pnpm bench`: N durable timers armed on N / perAgent agents, due spread
 * over a window; figures are the fire rate and the lateness (fire time minus due time, measured
 * in the handler) p50 / p99, for ACTIVE agents (owner-local timers) and for COLD agents woken by
 * the elected scheduler.
 */
export async function benchTimers(env: ActorBenchEnv, opts: TimerBenchOptions = {}): Promise<ActorBenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  const total = opts.timers ?? (opts.quick ? 1_000 : 10_000);
  const perAgent = opts.perAgent ?? 10;
  const windowMs = opts.windowMs ?? (opts.quick ? 2_000 : 10_000);
  const agents = Math.ceil(total / perAgent);
  let late: number[] = [];
  let lastFireAt = 0;
  const ticker = defineAgentType<{ fired: number }>({
    name: 'ticker',
    initialState: { fired: 0 },
    idleTtlMs: 600_000,
    commands: {
      arm(_draft, payload, ctx) {
        const { from, spacing, count } = payload as { from: number; spacing: number; count: number };
        for (let i = 0; i < count; i++) ctx.timers.set({ id: `t${i}`, command: 'fire', at: from + i * spacing });
      },
      fire(draft, _p, ctx) {
        // Fractional milliseconds (the trigger's lateMs is whole), measured when the handler runs.
        if (ctx.trigger.kind === 'timer') late.push(Math.max(0.001, performance.timeOrigin + performance.now() - Date.parse(ctx.trigger.dueAt)));
        lastFireAt = Date.now();
        draft.fired += 1;
      },
    },
  });
  const sup = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, supervisorId: 'bench-timers', agentTypes: [ticker], scheduler: { pollMs: 250, concurrency: 128 } });
  const ids = Array.from({ length: agents }, (_, i) => `ticker-${i}`);
  const figures: ActorBenchFigure[] = [];
  const phase = async (name: 'active' | 'cold', leadMs: number) => {
    late = [];
    const from = Date.now() + leadMs;
    // Agent i's timers are due at from + (i + k * agents) * spacing: the whole set spreads evenly over the window.
    const spacing = windowMs / total;
    progress(`timers: arming ${total} timers on ${agents} agents (${name})`);
    await mapLimit(ids, 64, (id, i) => sup.command(id, 'arm', { from: from + i * spacing, spacing: spacing * agents, count: perAgent }));
    if (name === 'cold') {
      progress(`timers: passivating ${agents} agents`);
      await mapLimit(ids, 64, (id) => sup.stopAgent(id));
    }
    const armedAt = Date.now();
    const deadline = from + windowMs + 120_000;
    while (late.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const sorted = [...late].sort((a, b) => a - b);
    const seconds = Math.max(0.001, (lastFireAt - from) / 1000);
    const detail = `${late.length}/${total} fired; armed ${Math.round(armedAt - (from - leadMs))} ms after the start, the first due at ${leadMs} ms; ${agents} agents x ${perAgent} timers due over ${windowMs} ms (${Math.round(total / (windowMs / 1000))} due/s offered)`;
    const raw = await rawTimerLateness(total, windowMs);
    const offered = Math.round(total / (windowMs / 1000));
    const ms = (v: number) => Math.max(0.01, Math.round(v * 100) / 100); // figures at 0.01 ms resolution
    figures.push(
      { name: `timers.${name}.fires_per_s`, value: Math.round(late.length / seconds), unit: 'fires/s', better: 'higher', baseline: { name: 'due/s offered', value: offered }, detail },
      { name: `timers.${name}.lateness_p50`, value: ms(percentile(sorted, 50)), unit: 'ms', better: 'lower', baseline: { name: 'raw setTimeout lateness p50, same schedule', value: ms(raw.p50) }, detail },
      { name: `timers.${name}.lateness_p99`, value: ms(percentile(sorted, 99)), unit: 'ms', better: 'lower', baseline: { name: 'raw setTimeout lateness p99, same schedule', value: ms(raw.p99) }, detail },
    );
  };
  try {
    await mapLimit(ids, 64, (id) => sup.spawn('ticker', id));
    // Arming (one command per agent) and, for COLD, passivating must end before the first timer is due.
    await phase('active', 2_000 + agents * 5);
    await phase('cold', 2_000 + agents * 15);
  } finally {
    await sup.stop();
  }
  return figures;
}
