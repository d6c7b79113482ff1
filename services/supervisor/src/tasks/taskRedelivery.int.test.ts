import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { silentLogger } from '@mister-smith/core';
import { counterAgent, createSupervisor } from '@mister-smith/actors';
import { startBridge } from '@mister-smith/bridge';
import { createTaskWorker } from './createTaskWorker.js';

describe('task redelivery', () => {
  it('does not run a task again whose command already succeeded (command id task:<taskId>, whatever the delivery)', async () => {
    await using env = await startTestEnv();
    const logger = silentLogger();
    const bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger, pollIntervalMs: 200 });
    const supervisor = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, agentTypes: [counterAgent], logger });
    try {
      await supervisor.spawn('counter', 'tw');
      const taskId = randomUUID();
      // A worker ran the task's command and died before it marked the row or acknowledged the message:
      // the task comes again, on another delivery.
      const first = await supervisor.command('tw', 'increment', { by: 5 }, { commandId: `task:${taskId}` });
      expect(first.result).toBe(5);
      const worker = await createTaskWorker({ supervisor, nats: env.nats, pg: env.pg, topology: env.topology, logger, processor: { ackWaitSeconds: 2 } });
      try {
        await env.pg.db.insertInto('tasks.queue').values({ task_id: taskId, task_type: 'increment', assigned_agent_id: 'tw', payload: JSON.stringify({ by: 5 }) }).execute();
        await expect.poll(async () => (await env.pg.db.selectFrom('tasks.queue').select('status').where('task_id', '=', taskId).executeTakeFirst())?.status, { timeout: 30_000, interval: 200 }).toBe('completed');
      } finally {
        await worker.stop();
      }
      const row = await env.pg.db.selectFrom('tasks.queue').select(['result']).where('task_id', '=', taskId).executeTakeFirstOrThrow();
      expect(row.result).toBe(5);
      expect((await supervisor.get('tw', 'count')).value).toBe(5);
    } finally {
      await supervisor.stop();
      await bridge.stop();
    }
  });
});
