import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import type { AgentsSetResult } from './commands/agentsSet.js';
import type { HistoryEntry } from './commands/agentsHistory.js';
import type { DoctorReport } from './commands/doctor.js';
import type { KvEntryView } from './commands/kvGet.js';
import type { MigrateResult } from './commands/migrate.js';
import type { ProjectionStatusView } from './commands/projectionsStatus.js';
import type { StreamInfoView } from './commands/streams.js';
import { expectOneLineError, runCli, startCli, tempDataDir, type CliRun } from './cliTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('mister-smith one-shot commands (built CLI, real servers)', () => {
  it('doctor finds an unprovisioned namespace and an unmigrated database; migrate fixes both and says what changed', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };

    const sick = await runCli(['doctor'], e);
    expect(expectOneLineError(sick)).toMatch(/^mister-smith: CHECK_FAILED: .*streams.*migrations/);
    expect(sick.stdout).toMatch(/^FAIL streams: missing: .*AGENT_STATE/m);
    expect(sick.stdout).toMatch(/^FAIL migrations: pending: 0001_initial/m);
    expect(sick.stdout).toContain('fix: run "mister-smith migrate"');

    const first = await runCli(['migrate', '--json'], e);
    expect(first.code).toBe(0);
    const report = first.json<MigrateResult>();
    expect(report.nats.namespace).toBe(env.namespace);
    expect(report.nats.created).toEqual(expect.arrayContaining([env.topology.streams.agentState.name, `KV_${env.topology.buckets.agentLeases.bucket}`]));
    expect(report.nats.disabledFeatures.join(' ')).toContain('2.10');
    expect(report.postgres.applied[0]).toBe('0001_initial');

    const [again, healthy, streams, text] = await Promise.all([runCli(['migrate'], e), runCli(['doctor', '--json'], e), runCli(['streams', '--json'], e), runCli(['streams'], e)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/created: +none/);
    // Everything the first migrate created is there, unchanged.
    expect(again.stdout).toMatch(new RegExp(`unchanged: ${report.nats.created.length}\\n`));
    expect(again.stdout).toMatch(/applied: +none/);
    expect(again.stdout).toMatch(/feature off: stream compression/);

    expect(healthy.code).toBe(0);
    const checks = healthy.json<DoctorReport>();
    expect(checks.ok).toBe(true);
    expect(checks.checks.find((c) => c.check === 'nats')?.message).toContain('nats-server 2.9');
    expect(checks.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['postgres', 'features', 'streams', 'migrations', 'outbox', 'projection agent-state']));

    expect(streams.code).toBe(0);
    const views = streams.json<StreamInfoView[]>();
    expect(views).toHaveLength(8);
    expect(views.every((v) => v.exists)).toBe(true);
    expect(text.lines[0]).toMatch(/^NAME +KIND +MESSAGES +BYTES +FIRST +LAST +CONSUMERS$/);
  }, 180_000);

  it('agents set/get/history, kv get/watch and events tail work on the state plane, traceparent included', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };

    const set1 = await runCli(['agents', 'set', 'c1', 'count', '5', '--traceparent', TRACEPARENT, '--json'], e);
    expect(set1.code).toBe(0);
    expect(set1.json<AgentsSetResult>()).toMatchObject({ agentId: 'c1', key: 'count', value: 5, owner: null });
    expect((await runCli(['agents', 'set', 'c1', 'count', '7'], e)).stdout).toMatch(/^c1\.count = 7 \(seq \d+\)/);
    expect((await runCli(['agents', 'set', 'c1', 'profile', '{"name":"Ada"}', '--strategy', 'vclock'], e)).code).toBe(0);

    const [one, all, noKey, noAgent, historyRun, historyText, tailRun, kv, kvMissing] = await mapLimit([
      ['agents', 'get', 'c1', 'count'],
      ['agents', 'get', 'c1', '--json'],
      ['agents', 'get', 'c1', 'nothing'],
      ['agents', 'get', 'nobody'],
      ['agents', 'history', 'c1', 'count', '--json'],
      ['agents', 'history', 'c1'],
      ['events', 'tail', '--agent', 'c1', '--from', 'start', '--no-follow', '--json'],
      ['kv', 'get', 'agent-state', 'c1.count', '--json'],
      ['kv', 'get', 'agent-config', 'missing.key'],
    ], 3, (args) => runCli(args, e)) as [CliRun, CliRun, CliRun, CliRun, CliRun, CliRun, CliRun, CliRun, CliRun];
    expect(one.stdout.trim()).toBe('7');
    expect(all.json<AgentStateView>()).toMatchObject({ agentId: 'c1', state: { count: 7, profile: { name: 'Ada' } } });
    expect(expectOneLineError(noKey)).toMatch(/^mister-smith: NOT_FOUND: agent c1 has no value for nothing$/);
    expect(expectOneLineError(noAgent)).toMatch(/UNKNOWN_AGENT/);

    // The CLI flushed its writes to PostgreSQL before it exited.
    const rows = await sql<{ v: unknown }>`SELECT state_value AS v FROM agents.state WHERE agent_id = 'c1' AND state_key = 'count'`.execute(env.pg.db);
    expect(rows.rows[0]?.v).toBe(7);

    const history = historyRun.json<HistoryEntry[]>();
    expect(history.map((h) => h.value)).toEqual([5, 7]);
    expect(history.every((h) => h.source === 'stream' && h.writer?.startsWith('cli-') && h.kvRevision !== null)).toBe(true);
    expect(historyText.lines).toHaveLength(4); // header + count 5, count 7, profile

    const tail = tailRun.jsonLines<{ type: string; seq: number; event?: { traceparent?: string; data: { key: string } } }>();
    expect(tail.map((t) => t.type)).toEqual(['event', 'event', 'event', 'caught-up']);
    expect(tail[0]!.event!.traceparent).toBe(TRACEPARENT);
    expect(tail[3]!.seq).toBe(tail[2]!.seq);
    expect(kv.json<KvEntryView>()).toMatchObject({ bucket: env.topology.buckets.agentState.bucket, key: 'c1.count', encoding: 'json', value: { value: 7, strategy: 'lww' } });
    expect(expectOneLineError(kvMissing)).toMatch(/NOT_FOUND/);

    // Live: the watch shows the current value, then the change; the tail (from a sequence) its marker, then the new event.
    const watch = startCli(['kv', 'watch', 'agent-state', 'c1.count', '--limit', '2'], e);
    const live = startCli(['events', 'tail', '--agent', 'c1', '--from', String(tail[1]!.seq), '--limit', '3'], e);
    await watch.waitForLine(/^rev \d+ .* PUT c1\.count = .*"value":7/);
    await live.waitForLine(/^-- caught up at seq \d+; live events follow/);
    expect((await runCli(['agents', 'set', 'c1', 'count', '9'], e)).code).toBe(0);
    const watched = await watch.exit();
    expect(watched.code).toBe(0);
    expect(watched.lines[1]).toMatch(/PUT c1\.count = .*"value":9/);
    const tailed = await live.exit();
    expect(tailed.code).toBe(0);
    expect(tailed.lines).toHaveLength(4); // 2 stored events, the marker, the live one
    expect(tailed.lines[2]).toMatch(/^-- caught up at seq \d+/);
    expect(tailed.lines.at(-1)).toMatch(/agents\.state\.c1 StateChanged \{"key":"count","op":"put","value":9/);
  }, 180_000);

  it('projections status and rebuild work without a running projector', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const sets = await Promise.all([runCli(['agents', 'set', 'p1', 'n', '1'], e), runCli(['agents', 'set', 'p2', 'n', '2'], e), runCli(['agents', 'set', 'p3', 'n', '3'], e)]);
    expect(sets.map((r) => r.code)).toEqual([0, 0, 0]);

    const before = (await runCli(['projections', 'status', '--json'], e)).json<ProjectionStatusView[]>();
    expect(before.map((s) => s.name)).toEqual(['agent-registry', 'agent-state', 'task-view', 'archive.agent-state', 'archive.task-execution', 'archive.agent-messages']);
    const state = before.find((s) => s.name === 'agent-state')!;
    expect(state).toMatchObject({ source: 'database', reason: 'never ran', lag: 3, head: 3 });

    const rebuilt = await runCli(['projections', 'rebuild', 'agent-state'], e);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^agent-state: stream \d+\/3/m);
    expect(rebuilt.lines.at(-1)).toMatch(/^rebuilt agent-state \(shadow\): 3 messages read, 3 applied .* checkpoint 3/);

    const [afterRun, text] = await Promise.all([runCli(['projections', 'status', '--json'], e), runCli(['projections', 'status'], e)]);
    expect(afterRun.json<ProjectionStatusView[]>().find((s) => s.name === 'agent-state')).toMatchObject({ checkpoint: { seq: 3 }, lag: 0 });
    expect(text.lines[0]).toMatch(/^PROJECTION +STATE +CHECKPOINT +HEAD +LAG/);

    const every = await runCli(['projections', 'rebuild', '--all', '--json'], e);
    expect(every.code).toBe(0);
    expect(every.jsonLines<{ type: string }>().filter((l) => l.type === 'report')).toHaveLength(6);
  }, 180_000);
});
