import { supervisorHeartbeat, type EventLog, type Logger } from '@mister-smith/core';

/** A running heartbeat loop. */
export interface Heartbeats {
  /** Publishes one heartbeat now (the loop also does, every interval). */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every `intervalMs`, publishes ONE `SupervisorHeartbeat` on `agents.heartbeat.<supervisorId>`
 * listing the supervisor's ACTIVE (and FLUSHING) agents, never one message per agent (the
 * stream's retention counts messages). A list too large for one message is split into several.
 */
export function startHeartbeats(options: { log: EventLog; supervisorId: string; intervalMs: number; activeAgents: () => string[]; maxMsgSize: number; logger: Logger }): Heartbeats {
  const { log, supervisorId, intervalMs, logger } = options;
  // Ids are at most 64 bytes plus quotes and a comma; keep a margin for the envelope.
  const perMessage = Math.max(1, Math.floor((options.maxMsgSize - 2048) / 67));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function beat(): Promise<void> {
    const agents = options.activeAgents();
    const chunks = agents.length === 0 ? [[]] : Array.from({ length: Math.ceil(agents.length / perMessage) }, (_, i) => agents.slice(i * perMessage, (i + 1) * perMessage));
    await Promise.all(chunks.map((chunk) => log.append(supervisorHeartbeat({ supervisorId, agents: chunk, intervalMs }))));
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = beat()
        .catch((e: unknown) => logger.warn({ err: e, supervisorId }, 'heartbeat not published'))
        .finally(() => { running = undefined; schedule(); });
    }, intervalMs);
  };
  schedule();
  return {
    beat,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
