import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import type { StreamInfoView } from './commands/streams.js';
import type { StackFile } from './connection/stackFile.js';
import { alive, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

describe('mister-smith up and the roles (built CLI as a child process)', () => {
  it('up --demo runs supervisor, projector and bridge, moves agents and tasks, serves metrics, and stops cleanly on SIGINT', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const up = startCli(['up', '--demo', '--metrics-port', '0', '--status-interval', '1'], e);
    const metricsLine = await up.waitForLine(/^metrics: http:\/\/\S+\/metrics/, 60_000);
    const base = /^metrics: (http:\/\/\S+)\/metrics/.exec(metricsLine)![1]!;
    // A status line once tasks have gone all the way through: inserted, published, run by an agent, completed.
    const status = await up.waitForLine(/^status: up \d+s \| agents 6 ACTIVE.* \| events [\d.]+\/s \| flush lag \d+ keys \| projection lag \d+ \| outbox \d+ \| tasks \d+: [1-9]\d* done, \d+ failed/, 60_000);
    expect(status).toMatch(/ \| demo: \d+ commands, \d+ passivated, \d+ re-activated$/);

    const [metrics, health, agent, spawned] = await Promise.all([
      fetch(`${base}/metrics`).then((r) => r.text()),
      fetch(`${base}/healthz`),
      runCli(['agents', 'get', 'demo-counter-1', '--json'], e),
      runCli(['agents', 'spawn', '--type', 'counter', '--id', 'cli', '--count', '2'], e),
    ]);
    expect(metrics).toMatch(/mister_smith_supervisor_agents\{state="ACTIVE"\} [1-9]/);
    expect(metrics).toContain('mister_smith_bridge_outbox_depth');
    expect(metrics).toMatch(/mister_smith_projection_events_total\{projection="agent-state"\} [1-9]/);
    expect(metrics).toContain('mister_smith_state_writes_total');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, roles: ['projector', 'bridge', 'supervisor', 'web'], tasks: { completed: expect.any(Number) } });
    expect(agent.json<AgentStateView>()).toMatchObject({ agentId: 'demo-counter-1', agentType: 'counter', state: { count: expect.any(Number) } });
    // The supervisor's request/reply API and the projector's, through the CLI.
    expect(spawned.code).toBe(0);
    expect(spawned.lines).toEqual([expect.stringMatching(/^AGENT +TYPE +STATE +SUPERVISOR$/), expect.stringMatching(/^cli-1 +counter +ACTIVE +sup-/), expect.stringMatching(/^cli-2 +counter +ACTIVE +sup-/)]);
    const [stopped, projections] = await Promise.all([runCli(['agents', 'stop', 'cli-1', '--json'], e), runCli(['projections', 'status', '--json'], e)]);
    expect(stopped.json()).toEqual({ agentId: 'cli-1', lifecycle: 'EXPIRED' });
    expect(projections.json<{ name: string; source: string; state: string; active: boolean }[]>().find((p) => p.name === 'agent-state')).toMatchObject({ source: 'projector', state: 'running', active: true });
    // The demo's failures made on purpose and its passivations show on the status line (not as
    // warnings), and doctor calls a healthy demo healthy: its dead letters are a warning, not a problem.
    await up.waitForLine(/ failed \([1-9]\d* on purpose\) \| demo: \d+ commands, [1-9]\d* passivated, [1-9]\d* re-activated$/, 90_000);
    const doctor = await runCli(['doctor'], e);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^WARN dead letters: [1-9]\d* recorded$/m);
    expect(doctor.lines.at(-1)).toMatch(/^no problems; [1-9]\d* warnings? \(WARN: worth a look, nothing is broken\)$/);
    expect(up.stderr()).not.toMatch(/task (failed|dead-lettered)/);
    const [listed, rebuilt] = await Promise.all([runCli(['agents', 'list', '--json'], e), runCli(['projections', 'rebuild', 'agent-registry'], e)]);
    const agents = listed.json<{ agentId: string; lifecycle: string }[]>();
    expect(agents.map((a) => a.agentId).sort()).toEqual(['cli-1', 'cli-2', 'demo-assistant', 'demo-counter-1', 'demo-counter-2', 'demo-counter-3', 'demo-notes-1', 'demo-notes-2']);
    expect(agents.find((a) => a.agentId === 'cli-2')?.lifecycle).toBe('ACTIVE');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.lines.at(-1)).toMatch(/^rebuilt agent-registry \(shadow\): \d+ messages read/);
    // The demo's assistant: a durable interval timer, and a request waiting for a human.
    const [timers, waiting] = await Promise.all([runCli(['agents', 'timers', 'demo-assistant', '--json'], e), runCli(['agents', 'list', '--waiting', '--json'], e)]);
    expect(timers.json()).toMatchObject([{ timerId: 'tick', command: 'tick', kind: 'interval' }]);
    expect(waiting.json()).toMatchObject([{ agentId: 'demo-assistant', requestId: 'demo-q1', payload: { question: 'Ship the demo release?' } }]);
    expect((await runCli(['agents', 'resume', 'demo-assistant', 'demo-q1', '"yes"'], e)).stdout).toBe('resumed demo-q1 of demo-assistant: {"requestId":"demo-q1","value":"yes"}\n');

    up.kill('SIGINT');
    const run = await up.exit(60_000);
    expect(run.code).toBe(0);
    expect(run.lines).toContain('up: SIGINT: shutting down (flushing agents, letting projections catch up, draining NATS)');
    expect(run.lines.at(-1)).toBe('up: stopped');
    expect(run.stdout).toMatch(/^demo: spawned 3 counter agents/m);
    expect(run.stdout).toMatch(/^demo: demo-assistant waits for an answer: mister-smith agents resume demo-assistant demo-q1 '"yes"'/m);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    // What the demo did is in PostgreSQL: tasks completed by their agents, every agent flushed and expired.
    const tasks = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM tasks.queue GROUP BY status`.execute(env.pg.db);
    expect(tasks.rows.find((r) => r.status === 'completed')?.n).toBeGreaterThan(0);
    const registry = await sql<{ agent_id: string; status: string }>`SELECT agent_id, status FROM agents.registry ORDER BY agent_id`.execute(env.pg.db);
    expect(registry.rows).toHaveLength(8);
    expect(registry.rows.every((r) => r.status === 'EXPIRED')).toBe(true);
    const counts = await sql<{ v: number }>`SELECT state_value AS v FROM agents.state WHERE agent_id = 'demo-counter-1' AND state_key = 'count'`.execute(env.pg.db);
    expect(counts.rows[0]?.v).toBeGreaterThanOrEqual(agent.json<AgentStateView>().state.count as number);
  }, 180_000);

  it('up --demo on embedded servers: other commands find them through stack.json, and SIGINT leaves no process behind', async () => {
    using data = tempDataDir();
    const e = { MISTER_SMITH_DATA_DIR: data.path, MISTER_SMITH_PROFILE: 'test' }; // no NATS_URL / DATABASE_URL
    const up = startCli(['up', '--demo', '--status-interval', '1'], e);
    await up.waitForLine(/^up: ready; press Ctrl-C to stop/, 150_000);
    const stack = JSON.parse(readFileSync(join(data.path, 'stack.json'), 'utf8')) as StackFile;
    expect(stack.pid).toBe(up.pid);
    expect(stack.natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const children = [stack.natsPid!, stack.postgresPid!];
    expect(children.every(alive)).toBe(true);
    await up.waitForLine(/^status: .*tasks \d+: [1-9]\d* done/, 60_000);

    // No URLs in the environment: the commands use the running stack's servers.
    const [agent, streams, second] = await Promise.all([
      runCli(['agents', 'get', 'demo-notes-1', '--json'], e),
      runCli(['streams', '--json'], e),
      runCli(['up'], e),
    ]);
    expect(agent.code).toBe(0);
    expect(agent.json<AgentStateView>().state.doc).toMatchObject({ notes: expect.arrayContaining([expect.objectContaining({ text: 'note 1 from the demo' })]) });
    expect(streams.json<StreamInfoView[]>().find((s) => s.name === 'AGENT_STATE' && s.kind === 'stream')?.messages).toBeGreaterThan(0);
    expect(second.stderr.trim()).toMatch(/^mister-smith: LOCKED: another mister-smith process \(pid \d+\) runs embedded servers/);

    up.kill('SIGINT');
    const run = await up.exit(60_000);
    expect(run.code).toBe(0);
    expect(run.lines).toContain('up: SIGINT: shutting down (flushing agents, letting projections catch up, draining NATS, stopping embedded servers)');
    expect(run.lines.at(-1)).toBe('up: stopped');
    expect(children.filter(alive)).toEqual([]);
    expect(existsSync(join(data.path, 'stack.json'))).toBe(false);
  }, 180_000);

  it('runs each role alone, stopping after --duration or on SIGTERM', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const bridge = startCli(['bridge', '--json', '--status-interval', '1'], e);
    const projector = startCli(['projector', '--status-interval', '1'], e);
    const supervisor = startCli(['supervisor', '--duration', '4', '--status-interval', '1'], e);
    await Promise.all([bridge.waitForLine(/"message":"bridge: ready/, 60_000), projector.waitForLine(/^projector: ready/, 60_000)]);
    // A task row inserted in SQL goes through the bridge (tasks.created) into the projector's task view.
    await sql`INSERT INTO tasks.queue (task_type, payload) VALUES ('noop', '{}'::jsonb)`.execute(env.pg.db);
    for (let i = 0; i < 300; i++) {
      const view = await sql<{ seq: number }>`SELECT seq FROM mister_smith.projection_checkpoints WHERE projection = 'task-view'`.execute(env.pg.db);
      if ((view.rows[0]?.seq ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await projector.waitForLine(/^status: .*projection lag 0$/, 30_000);
    bridge.kill('SIGTERM');
    projector.kill('SIGTERM');
    const [p, s, b] = await Promise.all([projector.exit(60_000), supervisor.exit(60_000), bridge.exit(60_000)]);

    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^projector: running projector/m);
    expect(p.stdout).toMatch(/^status: up \d+s \| events [\d.]+\/s \| projection lag \d+$/m);
    expect(p.lines.at(-1)).toBe('projector: stopped');
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^status: up \d+s \| agents 0 ACTIVE \| events [\d.]+\/s \| flush lag 0 keys \| tasks 0: 0 done, 0 failed$/m);
    expect(b.code).toBe(0);
    const lines = b.jsonLines<{ type: string; message?: string; outboxDepth?: number }>();
    expect(lines.every((l) => l.type === 'info' || l.type === 'status')).toBe(true);
    expect(lines.at(-1)).toEqual({ type: 'info', message: 'bridge: stopped' });
    expect(p.lines).toContain('projector: SIGTERM: shutting down (letting projections catch up, draining NATS)');
    const view = await sql<{ n: number }>`SELECT count(*)::int AS n FROM mister_smith.projection_checkpoints WHERE projection = 'task-view' AND seq >= 1`.execute(env.pg.db);
    expect(view.rows[0]?.n).toBe(1);
  }, 180_000);
});
