import { sleep } from '@mister-smith/core/util';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';

/** What one agent's commands came to, as the client saw them. */
export interface AgentTally {
  /** Commands (distinct command ids) answered `ok`. */
  acked: number;
  /** Every `result` of an acknowledged increment (the counter value it produced). */
  ackedValues: number[];
  /** Attempts that got no reply or an error reply: each may or may not have been applied. */
  failedAttempts: number;
  /** Commands retried at least once (same command id). */
  retried: number;
  /** Commands that never got an `ok` within their attempts. */
  gaveUp: number;
  /** Attempts sent (all command ids, all retries). */
  attempts: number;
}

/** A bounded command load through the supervisor request/reply API. */
export interface CommandLoad {
  readonly tallies: ReadonlyMap<string, AgentTally>;
  /** Failed attempts by error code (`NO_REPLY` for a request timeout or no responders). */
  readonly errors: ReadonlyMap<string, number>;
  readonly errorSamples: ReadonlyMap<string, string>;
  acked(agentId?: string): number;
  stop(): Promise<void>;
}


/**
 * `workers` loops send `increment` to `agents` round-robin on `subject` (`<ns.>mister-smith.supervisor.command`),
 * each command with its own command id, retried with the same id up to `maxAttempts` times while it
 * fails (no reply within `timeoutMs`, or an error reply). Bounded by `maxCommands` and `maxDurationMs`.
 */
export function startCommandLoad(nc: NatsConnection, subject: string, agents: readonly string[], options: {
  workers?: number; maxAttempts?: number; timeoutMs?: number; pauseMs?: number; maxCommands?: number; maxDurationMs?: number;
} = {}): CommandLoad {
  const tallies = new Map<string, AgentTally>(agents.map((a) => [a, { acked: 0, ackedValues: [], failedAttempts: 0, retried: 0, gaveUp: 0, attempts: 0 }]));
  const errors = new Map<string, number>();
  const errorSamples = new Map<string, string>();
  const maxAttempts = options.maxAttempts ?? 12;
  const maxCommands = options.maxCommands ?? 20_000;
  const deadline = Date.now() + (options.maxDurationMs ?? 120_000);
  let stopped = false;
  let next = 0;
  const fail = (t: AgentTally, code: string, message: string) => {
    t.failedAttempts++;
    errors.set(code, (errors.get(code) ?? 0) + 1);
    if (!errorSamples.has(code)) errorSamples.set(code, message.slice(0, 300));
  };
  const one = async (agentId: string) => {
    const t = tallies.get(agentId)!;
    const commandId = randomUUID();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt === 2) t.retried++;
      t.attempts++;
      try {
        const m = await nc.request(subject, JSON.stringify({ agentId, command: 'increment', payload: { by: 1 }, commandId }), { timeout: options.timeoutMs ?? 15_000 });
        const r = JSON.parse(new TextDecoder().decode(m.data)) as { ok: boolean; result?: { result: number }; error?: { code: string; message: string } };
        if (r.ok) {
          t.acked++;
          t.ackedValues.push(r.result!.result);
          return;
        }
        fail(t, r.error?.code ?? 'UNKNOWN', r.error?.message ?? '');
      } catch (e) {
        fail(t, 'NO_REPLY', (e as Error)?.message ?? String(e));
      }
      await sleep(300);
      if (Date.now() > deadline + 30_000) break;
    }
    t.gaveUp++;
  };
  const loops = Array.from({ length: options.workers ?? 4 }, async () => {
    for (let i = 0; i < maxCommands && !stopped && Date.now() < deadline; i++) {
      const agentId = agents[next++ % agents.length]!;
      await one(agentId);
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  });
  const all = Promise.all(loops);
  return {
    tallies, errors, errorSamples,
    acked: (agentId) => (agentId ? tallies.get(agentId)!.acked : [...tallies.values()].reduce((n, t) => n + t.acked, 0)),
    async stop() { stopped = true; await all; },
  };
}
