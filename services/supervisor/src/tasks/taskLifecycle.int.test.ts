import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { silentLogger } from '@mister-smith/core';
import { counterAgent, createSupervisor } from '@mister-smith/actors';
import { createProjectionHost, taskViewProjection } from '@mister-smith/projections';
import { startBridge } from '@mister-smith/bridge';
import { createTaskWorker } from './createTaskWorker.js';

const AGENTS = 10;
const GOOD = 99;

describe('task lifecycle, end to end', () => {
  it('runs 100 SQL-inserted tasks on 10 agents: created -> started -> completed, and a failing task ends dead-lettered after max_deliver', async () => {
    await using env = await startTestEnv();
    const logger = silentLogger();
    const bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger, pollIntervalMs: 200 });
    const supervisor = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, agentTypes: [counterAgent], logger });
    const view = createProjectionHost(env, [taskViewProjection({ interestConsumer: env.topology.consumers.taskFeed })]);
    await view.start();
    const worker = await createTaskWorker({ supervisor, nats: env.nats, pg: env.pg, topology: env.topology, logger, processor: { ackWaitSeconds: 2 } });
    try {
      for (let a = 0; a < AGENTS; a++) await supervisor.spawn('counter', `worker-${a}`);
      await supervisor.stopAgent('worker-0'); // COLD again: the task must activate it
      // Tasks are rows in tasks.queue, inserted with plain SQL (the source of truth).
      const rows = Array.from({ length: GOOD }, (_, i) => ({ task_type: 'increment', assigned_agent_id: `worker-${i % AGENTS}`, payload: JSON.stringify({ key: 'done', by: 1 }) }));
      rows.push({ task_type: 'set', assigned_agent_id: 'worker-3', payload: JSON.stringify({ key: 'done', value: 'not a number' }) });
      await env.pg.db.insertInto('tasks.queue').values(rows).execute();

      await expect.poll(async () => {
        const r = await env.pg.db.selectFrom('tasks.queue').select(['status']).execute();
        return r.filter((x) => x.status === 'completed' || x.status === 'failed').length;
      }, { timeout: 60_000, interval: 250 }).toBe(GOOD + 1);

      const tasks = await env.pg.db.selectFrom('tasks.queue').selectAll().execute();
      const failed = tasks.filter((t) => t.status === 'failed');
      expect(tasks.filter((t) => t.status === 'completed')).toHaveLength(GOOD);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error).toMatch(/INVALID_ARGUMENT/);
      // Every agent did exactly the work it was given, the COLD one included.
      for (let a = 0; a < AGENTS; a++) {
        const expected = Array.from({ length: GOOD }, (_, i) => i % AGENTS).filter((x) => x === a).length;
        expect((await supervisor.get(`worker-${a}`, 'done')).value, `worker-${a}`).toBe(expected);
      }
      // The failing task was delivered max_deliver (3) times, then dead-lettered with its reason.
      await expect.poll(async () => (await env.pg.db.selectFrom('mister_smith.dead_letters').selectAll().where('source', 'like', '%task-processor%').execute()).length, { timeout: 20_000 }).toBe(1);
      const dl = await env.pg.db.selectFrom('mister_smith.dead_letters').selectAll().where('source', 'like', '%task-processor%').executeTakeFirstOrThrow();
      expect(dl.reason).toMatch(/not a number|INVALID_ARGUMENT|HANDLER_FAILED/);
      expect(worker.stats()).toMatchObject({ completed: GOOD, failed: 1, deadLettered: 1 });
      // The task projection saw every phase through TASK_EXECUTION: its view agrees with the queue.
      await expect.poll(async () => {
        const v = await env.pg.db.selectFrom('mister_smith.task_view').select(['task_id', 'status']).execute();
        return v.filter((x) => x.status === 'completed' || x.status === 'failed').length;
      }, { timeout: 30_000, interval: 250 }).toBe(GOOD + 1);
      const v = await env.pg.db.selectFrom('mister_smith.task_view').select(['task_id', 'status', 'last_event_type']).execute();
      const byId = new Map(v.map((x) => [x.task_id, x]));
      for (const t of tasks) expect(byId.get(t.task_id)?.status, t.task_id).toBe(t.status);
      expect(v.filter((x) => x.last_event_type === 'TaskCompleted')).toHaveLength(GOOD);
      expect(v.filter((x) => x.last_event_type === 'TaskFailed')).toHaveLength(1);
    } finally {
      await worker.stop();
      await view.stop();
      await supervisor.stop();
      await bridge.stop();
    }
  });
});
