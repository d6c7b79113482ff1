import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { createProjectionHost } from '../host/createProjectionHost.js';
import { eventArchiveProjection } from '../projections/eventArchiveProjection.js';
import { streamSubjects } from '../projections/builtinProjections.js';
import { taskViewProjection } from '../projections/taskViewProjection.js';
import { queryRows, taskViewSnapshot } from '../testing/queryRows.js';
import { newTaskId, taskEvent } from '../testing/taskEvents.js';
import { waitCaughtUp } from '../testing/waitCaughtUp.js';
import { waitFor } from '../testing/waitFor.js';
import { startTaskProcessor } from './startTaskProcessor.js';

describe('task stream', () => {
  it('projects tasks into task_view (never tasks.queue), redelivers failed tasks and dead-letters them after max_deliver', async () => {
    await using env = await startTestEnv();
    const taskLog = env.logs.taskExecution;
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology }, [
      taskViewProjection({ interestConsumer: env.topology.consumers.taskFeed }),
      eventArchiveProjection('taskExecution', streamSubjects(env.topology, 'taskExecution')),
    ], { lockPollMs: 100 });
    await host.start();

    const deliveries = new Map<string, number[]>();
    await using processor = await startTaskProcessor({
      nats: env.nats, pg: env.pg, topology: env.topology,
      consumer: { ackWaitSeconds: 1 },
      handler: async (task, d) => {
        const id = String(task.data.task_type);
        deliveries.set(id, [...(deliveries.get(id) ?? []), d.deliveryCount]);
        if (id === 'fails') throw new Error('boom');
        if (id === 'hangs') await new Promise<void>((r) => d.signal.addEventListener('abort', () => r(), { once: true }));
        if (id === 'flaky' && d.deliveryCount < 2) throw new Error('not yet');
      },
    });

    const ids = { ok: newTaskId(), fails: newTaskId(), hangs: newTaskId(), flaky: newTaskId(), pending: newTaskId() };
    for (const [type, id] of Object.entries(ids)) await taskLog.append(taskEvent(id, 'created', { taskType: type }));
    for (const [type, id] of Object.entries(ids)) if (type !== 'pending') await taskLog.append(taskEvent(id, 'started', { taskType: type, previous: 'pending' }));
    await taskLog.append(taskEvent(ids.ok, 'completed', { taskType: 'ok', previous: 'running' }));
    await env.nats.js.publish(taskLog.subjectOf(`tasks.started.${newTaskId()}`), new TextEncoder().encode('garbage'));

    await waitFor(() => processor.stats.deadLettered === 3 && processor.stats.succeeded === 2, { what: 'tasks handled', timeoutMs: 30_000 });
    expect(deliveries.get('ok')).toEqual([1]);
    expect(deliveries.get('fails')).toEqual([1, 2, 3]);
    expect(deliveries.get('hangs')).toEqual([1, 2, 3]);
    expect(deliveries.get('flaky')).toEqual([1, 2]);
    const letters = await queryRows<{ source: string; reason: string; attempts: number; subject: string }>(env.pg,
      `SELECT source, reason, attempts, subject FROM mister_smith.dead_letters WHERE source = 'task-processor' ORDER BY seq`);
    expect(letters.map((l) => [l.source, l.attempts])).toEqual([['task-processor', 3], ['task-processor', 3], ['task-processor', 1]]);
    expect(letters[0]!.reason).toMatch(/boom \(delivery 3 of 3\)/);
    expect(letters[1]!.reason).toMatch(/TIMEOUT/);
    expect(letters[2]!.reason).toMatch(/malformed task event/);

    await waitCaughtUp(host);
    const view = await taskViewSnapshot(env.pg);
    expect(view.map((r) => [r.task_type, r.status, r.last_event_type]).sort()).toEqual([
      ['fails', 'running', 'TaskStarted'], ['flaky', 'running', 'TaskStarted'], ['hangs', 'running', 'TaskStarted'],
      ['ok', 'completed', 'TaskCompleted'], ['pending', 'pending', 'TaskCreated'],
    ]);
    expect(view.every((r) => r.created_at instanceof Date)).toBe(true);
    expect(await queryRows(env.pg, `SELECT * FROM tasks.queue`)).toEqual([]);
    // task-view dead-lettered the garbage message: it is not a task.
    expect((await host.statusOf('task-view')).deadLettered).toBe(1);

    // Interest retention: once every durable consumer acknowledged (after its commit), the stream lets go.
    // The task-dispatcher durable (provisioned with the streams) still holds the 5 tasks.created until a
    // dispatcher takes them, as the supervisor's task worker does; then nothing is left.
    await waitFor(async () => (await taskLog.bounds()).messages === 5, { what: 'task messages released but the dispatcher\'s' });
    const dispatcher = await env.nats.js.consumers.get(env.topology.streams.taskExecution.name, env.topology.consumers.taskDispatcher.name!);
    for await (const m of await dispatcher.fetch({ max_messages: 5, expires: 5000 })) {
      expect(m.subject).toContain('.tasks.created.');
      await m.ackAck();
    }
    await waitFor(async () => (await taskLog.bounds()).messages === 0, { what: 'task messages released' });
    // With the stream empty, a rebuild replays the archive and equals the live view.
    const report = await host.rebuild('task-view');
    expect(report).toMatchObject({ contiguous: true, fromStream: 0 });
    expect(report.fromArchive).toBe(11);
    expect(await taskViewSnapshot(env.pg)).toEqual(view);
  });
});
