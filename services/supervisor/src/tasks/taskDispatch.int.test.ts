import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { silentLogger } from '@mister-smith/core';
import { counterAgent, createSupervisor } from '@mister-smith/actors';
import { createProjectionHost, taskViewProjection } from '@mister-smith/projections';
import { startBridge } from '@mister-smith/bridge';
import { createTaskWorker } from './createTaskWorker.js';

const statusOf = async (env: Awaited<ReturnType<typeof startTestEnv>>, taskId: string) =>
  (await env.pg.db.selectFrom('tasks.queue').select(['status']).where('task_id', '=', taskId).executeTakeFirstOrThrow()).status;

describe('task dispatch', () => {
  it('runs a task created before any worker started, after the task projection has taken its event (interest retention)', async () => {
    await using env = await startTestEnv();
    const logger = silentLogger();
    const bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger, pollIntervalMs: 100 });
    const view = createProjectionHost(env, [taskViewProjection({ interestConsumer: env.topology.consumers.taskFeed })]);
    await view.start();
    try {
      const { task_id: taskId } = await env.pg.db.insertInto('tasks.queue')
        .values({ task_type: 'increment', assigned_agent_id: 'early-1', payload: JSON.stringify({ key: 'n', by: 1 }) })
        .returning('task_id').executeTakeFirstOrThrow();
      // The task projection has the created event and acknowledged it: on the interest-retention
      // stream only the provisioned dispatcher consumer still holds it.
      await expect.poll(async () => (await env.pg.db.selectFrom('mister_smith.task_view').select('task_id').where('task_id', '=', taskId).execute()).length, { timeout: 20_000 }).toBe(1);
      const { stream, name } = env.topology.consumers.taskDispatcher;
      expect((await env.nats.jsm.consumers.info(stream, name!)).num_pending).toBe(1);

      // The first worker starts only now (sweep off: the event alone must dispatch the task).
      const supervisor = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, agentTypes: [counterAgent], logger });
      await supervisor.spawn('counter', 'early-1');
      const worker = await createTaskWorker({ supervisor, nats: env.nats, pg: env.pg, topology: env.topology, logger, sweepIntervalMs: 0 });
      try {
        await expect.poll(() => statusOf(env, String(taskId)), { timeout: 30_000, interval: 200 }).toBe('completed');
        expect((await supervisor.get('early-1', 'n')).value).toBe(1);
      } finally {
        await worker.stop();
        await supervisor.stop();
      }
    } finally {
      await view.stop();
      await bridge.stop();
    }
  });

  it('runs a task whose agent is assigned after it was inserted (its created event saw no agent)', async () => {
    await using env = await startTestEnv();
    const logger = silentLogger();
    const bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger, pollIntervalMs: 100 });
    const supervisor = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, agentTypes: [counterAgent], logger });
    const worker = await createTaskWorker({ supervisor, nats: env.nats, pg: env.pg, topology: env.topology, logger, sweepIntervalMs: 200 });
    try {
      await supervisor.spawn('counter', 'late-1');
      const { task_id: taskId } = await env.pg.db.insertInto('tasks.queue')
        .values({ task_type: 'increment', payload: JSON.stringify({ key: 'n', by: 1 }) })
        .returning('task_id').executeTakeFirstOrThrow();
      // The dispatcher has taken the created event (no agent: the task stays pending).
      const { stream, name } = env.topology.consumers.taskDispatcher;
      await expect.poll(async () => { const i = await env.nats.jsm.consumers.info(stream, name!); return i.num_pending + i.num_ack_pending; }, { timeout: 20_000 }).toBe(0);
      await expect.poll(async () => (await env.nats.jsm.consumers.info(stream, name!)).delivered.stream_seq, { timeout: 20_000 }).toBeGreaterThan(0);
      expect(await statusOf(env, String(taskId))).toBe('pending');

      await env.pg.db.updateTable('tasks.queue').set({ assigned_agent_id: 'late-1' }).where('task_id', '=', taskId).execute();
      await expect.poll(() => statusOf(env, String(taskId)), { timeout: 30_000, interval: 200 }).toBe('completed');
      expect((await supervisor.get('late-1', 'n')).value).toBe(1);
      const row = await env.pg.db.selectFrom('tasks.queue').select(['attempts']).where('task_id', '=', taskId).executeTakeFirstOrThrow();
      expect(row.attempts).toBe(1);
    } finally {
      await worker.stop();
      await supervisor.stop();
      await bridge.stop();
    }
  });
});
