import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import type { BackupSummary, RestoreSummary } from '@mister-smith/governance';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import { expectOneLineError, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

const FLEET = ['b-1', 'b-2', 'b-3'];

/** The read models a user sees, without stream incarnations (a restore makes new streams). */
async function readModels(env: TestEnv) {
  const db = env.pg.db;
  const state = await sql`SELECT agent_id, state_key, state_value, version, tombstone, strategy FROM agents.state ORDER BY 1, 2`.execute(db);
  const registry = await sql`SELECT agent_id, agent_type, status FROM agents.registry ORDER BY 1`.execute(db);
  const checkpoints = await sql`SELECT projection, seq FROM mister_smith.projection_checkpoints ORDER BY 1`.execute(db);
  const archive = await sql`SELECT seq, subject, event_id, event_type FROM mister_smith.event_archive ORDER BY stream, seq`.execute(db);
  return { state: state.rows, registry: registry.rows, checkpoints: checkpoints.rows, archive: archive.rows };
}

describe('mister-smith backup and restore (built CLI, real servers)', () => {
  it('round-trips a running fleet into an empty namespace: equal read models, the same sequences, agents resume where they were', async () => {
    await using a = await startTestEnv();
    await using b = await startTestEnv({ provision: false, migrate: false });
    using dataA = tempDataDir();
    using dataB = tempDataDir();
    const dir = mkdtempSync(join(tmpdir(), 'ms-backup-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'fleet.msb.gz');
    const ea = { ...a.childEnv(), MISTER_SMITH_DATA_DIR: dataA.path };
    const eb = { ...b.childEnv(), MISTER_SMITH_DATA_DIR: dataB.path };

    const upA = startCli(['up', '--status-interval', '1'], ea);
    await upA.waitForLine(/^status: /, 60_000);
    expect((await runCli(['agents', 'spawn', '--type', 'counter', '--id', 'b', '--count', '3'], ea)).code).toBe(0);
    for (const [i, id] of FLEET.entries()) {
      for (let n = 1; n <= 3; n++) expect((await runCli(['agents', 'set', id, 'count', String(i * 10 + n)], ea)).code).toBe(0);
    }
    expect((await runCli(['agents', 'stop', 'b-3'], ea)).code).toBe(0);
    const head = async (env: TestEnv) => (await env.nats.jsm.streams.info(env.topology.streams.agentState.name)).state.last_seq;
    const headA = await head(a);
    await expect.poll(async () => (await sql<{ n: number }>`SELECT min(seq)::int AS n FROM mister_smith.projection_checkpoints WHERE projection IN ('agent-registry', 'archive.agent-state')`.execute(a.pg.db)).rows[0]!.n, { timeout: 20_000 }).toBeGreaterThanOrEqual(headA);

    // The backup is taken while the fleet runs.
    const backedUp = await runCli(['backup', '--out', file, '--json'], ea, 60_000);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const summary = backedUp.json<BackupSummary>();
    expect(summary.rows['agents.state']).toBe(3);
    // The whole stream as of the cut: what was there before, and heartbeats the running fleet added since.
    expect(summary.messages.agentState).toBeGreaterThanOrEqual(headA);
    const cutA = summary.messages.agentState!;
    const before = await Promise.all(FLEET.map(async (id) => (await runCli(['agents', 'get', id, '--json'], ea)).json<AgentStateView>()));
    const modelsA = await readModels(a);
    upA.kill('SIGINT');
    expect((await upA.exit(60_000)).code).toBe(0);

    const restored = await runCli(['restore', '--in', file, '--json'], eb, 60_000);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json<RestoreSummary>()).toMatchObject({ source: { namespace: a.namespace }, rows: { 'agents.state': 3 }, messages: { agentState: cutA } });
    expect(await head(b)).toBe(cutA);
    const modelsB = await readModels(b);
    expect(modelsB.state).toEqual(modelsA.state);
    expect(modelsB.registry).toEqual(modelsA.registry);
    // Projections went on in A after the cut: B holds exactly the cut (the checkpoints in the file) and a prefix of A's archive.
    const cutRows = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; t?: string; v?: { projection: string; seq: number } });
    const cutCheckpoints = cutRows.filter((r) => r.kind === 'row' && r.t === 'mister_smith.projection_checkpoints').map((r) => ({ projection: r.v!.projection, seq: Number(r.v!.seq) }));
    expect(modelsB.checkpoints).toEqual(cutCheckpoints.sort((x, y) => x.projection.localeCompare(y.projection)));
    expect(modelsB.archive.length).toBe(summary.rows['mister_smith.event_archive']);
    expect(modelsA.archive.slice(0, modelsB.archive.length)).toEqual(modelsB.archive);

    // A second restore into the now full target is refused; so is a truncated file.
    const again = await runCli(['restore', '--in', file], eb);
    expect(expectOneLineError(again)).toMatch(/^mister-smith: NOT_EMPTY: /);

    // The restored system runs: agents read as they were, then resume from there; a rebuild accepts the restored archive.
    const upB = startCli(['up', '--status-interval', '1'], eb);
    await upB.waitForLine(/^status: /, 60_000);
    const after = await Promise.all(FLEET.map(async (id) => (await runCli(['agents', 'get', id, '--json'], eb)).json<AgentStateView>()));
    expect(after.map((x) => x.state)).toEqual(before.map((x) => x.state));
    const set = await runCli(['agents', 'set', 'b-3', 'count', '100', '--json'], eb);
    expect(set.code, set.stderr).toBe(0);
    expect((await runCli(['agents', 'get', 'b-3', 'count'], eb)).stdout.trim()).toBe('100');
    expect(await head(b)).toBeGreaterThan(cutA);
    const rebuilt = await runCli(['projections', 'rebuild', 'agent-state'], eb, 120_000);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect((await runCli(['agents', 'get', 'b-1', '--json'], eb)).json<AgentStateView>().state).toEqual(before[0]!.state);
    upB.kill('SIGINT');
    expect((await upB.exit(60_000)).code).toBe(0);

    const truncated = join(dir, 'truncated.msb.gz');
    const text = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
    writeFileSync(truncated, gzipSync(text.slice(0, Math.floor(text.length / 2)).join('\n')));
    await using c = await startTestEnv({ provision: false, migrate: false });
    const cut = await runCli(['restore', '--in', truncated], { ...c.childEnv(), MISTER_SMITH_DATA_DIR: dataB.path });
    expect(expectOneLineError(cut)).toMatch(/^mister-smith: INVALID_ARGUMENT: the backup is truncated/);
  }, 300_000);
});
