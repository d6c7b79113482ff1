import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AgentsSetResult } from './commands/agentsSet.js';
import type { HistoryEntry } from './commands/agentsHistory.js';
import type { KvBucketView } from './commands/kvList.js';
import type { TaskDetail } from './commands/tasksGet.js';
import type { TaskView } from './commands/tasksList.js';
import { BIN, childEnv, expectOneLineError, runCli, tempDataDir, type CliRun } from './cliTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

/** Runs the CLI with `input` on stdin. */
function runWithStdin(args: readonly string[], env: Record<string, string | undefined>, input: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      resolve({ code, signal, stdout: out, stderr: err, lines, json: <T>() => JSON.parse(out) as T, jsonLines: <T>() => lines.map((l) => JSON.parse(l) as T) });
    });
    child.stdin.end(input);
  });
}

describe('the operator CLI (built CLI, real servers)', () => {
  it('takes values from a file or stdin (past the OS argument limit), and lists, writes and deletes KV keys', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    // 300 KB: above the 128 KB the Linux kernel allows a single command-line argument.
    const big = { text: 'x'.repeat(300_000) };
    writeFileSync(join(data.path, 'big.json'), `${JSON.stringify(big)}\n`);
    writeFileSync(join(data.path, 'session.txt'), 'hello from a file\n');

    const [fromFile, fromStdin, notJson, kvFile] = await Promise.all([
      runCli(['agents', 'set', 'v1', 'doc', '--file', join(data.path, 'big.json'), '--json'], e),
      runWithStdin(['agents', 'set', 'v1', 'profile', '--file', '-', '--json'], e, '{"name":"Ada"}\n'),
      runWithStdin(['agents', 'set', 'v1', 'bad', '--file', '-'], e, 'not json'),
      runCli(['kv', 'put', 'session', 'user-1', '--file', join(data.path, 'session.txt'), '--json'], e),
    ]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.json<AgentsSetResult>()).toMatchObject({ agentId: 'v1', key: 'doc', owner: null });
    expect(fromStdin.json<AgentsSetResult>()).toMatchObject({ key: 'profile', value: { name: 'Ada' } });
    expect(expectOneLineError(notJson)).toMatch(/^mister-smith: INVALID_ARGUMENT: stdin is not JSON/);
    expect(kvFile.json()).toMatchObject({ operation: 'PUT', key: 'user-1', revision: expect.any(Number) });

    const [got, put, refused, listed, buckets] = await mapLimit([
      ['agents', 'get', 'v1', 'doc', '--json'],
      ['kv', 'put', 'agent-config', 'v1.model', '"large"'],
      ['kv', 'put', 'agent-state', 'v1.doc', '1'],
      ['kv', 'ls', 'session', '--json'],
      ['kv', 'ls', '--json'],
    ], 3, (args) => runCli(args, e));
    expect(got!.json<{ value: unknown }>().value).toEqual(big);
    expect(put!.stdout).toMatch(/^\w+_AGENT_CONFIG v1\.model: revision \d+/);
    expect(expectOneLineError(refused!)).toMatch(/^mister-smith: INVALID_ARGUMENT: \w+_AGENT_STATE is written only through the state plane .*agents set/);
    expect(listed!.json<string[]>()).toEqual(['user-1']);
    expect(buckets!.json<KvBucketView[]>().find((b) => b.alias === 'session')).toMatchObject({ bucket: env.topology.buckets.session.bucket, exists: true, entries: 1 });

    const [value, deleted] = await Promise.all([runCli(['kv', 'get', 'session', 'user-1', '--json'], e), runCli(['kv', 'del', 'agent-config', 'v1.model'], e)]);
    expect(value.json()).toMatchObject({ encoding: 'text', value: 'hello from a file' });
    expect(deleted.stdout).toMatch(/v1\.model: deleted \(was revision \d+\)/);
    const [again, keys] = await Promise.all([runCli(['kv', 'del', 'agent-config', 'v1.model'], e), runCli(['kv', 'ls', 'agent-config'], e)]);
    expect(expectOneLineError(again)).toMatch(/^mister-smith: NOT_FOUND: /);
    expect(keys.stdout.trim()).toMatch(/^no keys in \w+_AGENT_CONFIG$/);
  }, 180_000);

  it('lists, shows and cancels tasks of tasks.queue', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const rows = await sql<{ task_id: string }>`INSERT INTO tasks.queue (task_type, assigned_agent_id, status, payload, result) VALUES
      ('summarise', 'a1', 'pending', '{"doc":1}', NULL), ('summarise', 'a2', 'completed', '{"doc":2}', '"done"')
      RETURNING task_id`.execute(env.pg.db);
    const [pending, completed] = rows.rows.map((r) => r.task_id) as [string, string];

    const [list, failedOnly, get, cancel, badId, unknown] = await mapLimit([
      ['tasks', 'list', '--json'],
      ['tasks', 'list', '--status', 'failed'],
      ['tasks', 'get', completed, '--json'],
      ['tasks', 'cancel', pending],
      ['tasks', 'get', 'not-a-uuid'],
      ['tasks', 'get', '00000000-0000-4000-8000-000000000000'],
    ], 3, (args) => runCli(args, e));
    expect(list!.json<TaskView[]>().map((t) => [t.taskId, t.status]).sort()).toEqual([[pending, 'pending'], [completed, 'completed']].sort());
    expect(failedOnly!.stdout.trim()).toBe('no tasks failed (in all: 1 pending, 1 completed)');
    expect(get!.json<TaskDetail>()).toMatchObject({ taskId: completed, status: 'completed', agentId: 'a2', payload: { doc: 2 }, result: 'done', lifecycle: [] });
    expect(cancel!.stdout.trim()).toBe(`task ${pending}: pending -> cancelled`);
    expect(expectOneLineError(badId!)).toMatch(/^mister-smith: INVALID_ID: invalid task id "not-a-uuid"/);
    expect(expectOneLineError(unknown!)).toMatch(/^mister-smith: NOT_FOUND: no task 00000000-0000-4000-8000-000000000000/);

    const [twice, ended, text] = await Promise.all([runCli(['tasks', 'cancel', pending], e), runCli(['tasks', 'cancel', completed], e), runCli(['tasks', 'list', '--agent', 'a1'], e)]);
    expect(expectOneLineError(twice)).toMatch(/^mister-smith: INVALID_ARGUMENT: task \S+ is already cancelled/);
    expect(expectOneLineError(ended)).toMatch(/^mister-smith: INVALID_ARGUMENT: task \S+ is already completed/);
    expect(text.lines[0]).toMatch(/^TASK +TYPE +STATUS +AGENT +ATTEMPTS +CREATED +ERROR$/);
    expect(text.lines.at(-1)).toBe('1 shown; in all: 1 cancelled');
    // The cancellation is on the change feed like every lifecycle step.
    const outbox = await sql<{ subject: string }>`SELECT subject FROM mister_smith.outbox WHERE subject = ${`tasks.cancelled.${pending}`}`.execute(env.pg.db);
    expect(outbox.rows).toHaveLength(1);
  }, 180_000);

  it('sql, env, history --limit/--from, unknown agents, tail with nothing to show, streams naming and malformed URLs', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const seqs: number[] = [];
    for (const v of [1, 2, 3, 4]) seqs.push((await runCli(['agents', 'set', 'h1', 'count', String(v), '--json'], e)).json<AgentsSetResult>().version.seq);

    const [latest, fromSeq, noAgent, tailUnknown, nothing, envRun, psql, psqlFails, noPsql, streams, badNats, badPg] = await mapLimit([
      [['agents', 'history', 'h1', 'count', '--limit', '2', '--json'], e],
      [['agents', 'history', 'h1', 'count', '--from', String(seqs[1]), '--limit', '2', '--json'], e],
      [['agents', 'history', 'nobody'], e],
      [['events', 'tail', '--agent', 'nobody', '--from', 'start', '--no-follow'], e],
      [['events', 'tail', '--no-follow'], e],
      [['env'], e],
      [['sql', '--', '-tAc', 'SELECT count(*) FROM agents.state'], e],
      [['sql', '--', '-c', 'SELECT no_such_column'], e],
      [['sql'], { ...e, PATH: '/nonexistent' }],
      [['streams'], e],
      [['streams'], { ...e, NATS_URL: 'nats//base' }],
      [['tasks', 'list'], { ...e, DATABASE_URL: 'postgres//user@base/db' }],
    ] as const, 3, ([args, env2]) => runCli(args, env2));
    expect(latest!.json<HistoryEntry[]>().map((h) => h.value)).toEqual([3, 4]);
    expect(fromSeq!.json<HistoryEntry[]>().map((h) => h.value)).toEqual([2, 3]);
    expect(expectOneLineError(noAgent!)).toMatch(/^mister-smith: UNKNOWN_AGENT: agent nobody has no events/);
    expect(expectOneLineError(tailUnknown!)).toMatch(/^mister-smith: UNKNOWN_AGENT: agent nobody is unknown/);
    expect(nothing!.code).toBe(0);
    expect(nothing!.stdout.trim()).toMatch(/^nothing to show: --from new \(the default\) skips stored events and --no-follow skips live ones/);

    expect(envRun!.code).toBe(0);
    expect(envRun!.lines).toEqual(expect.arrayContaining([`export NATS_URL=${env.childEnv().NATS_URL!}`, `export MISTER_SMITH_NAMESPACE=${env.namespace}`, expect.stringMatching(/^export DATABASE_URL=/)]));
    expect(psql!.code).toBe(0);
    expect(psql!.stdout.trim()).toBe('1');
    expect(psqlFails!.code).toBe(1);
    expect(psqlFails!.stderr).toMatch(/no_such_column/);
    expect(noPsql!.code).toBe(0);
    expect(noPsql!.lines).toEqual(['psql is not installed (not on PATH); connect any PostgreSQL client to:', env.childEnv().DATABASE_URL!]);

    // Buckets are named by their stream (KV_...), and an empty stream shows no first sequence above its last.
    const rowsOf = streams!.lines.slice(1).map((l) => l.split(/ {2,}/));
    expect(rowsOf.map((r) => r[0])).toEqual(expect.arrayContaining([env.topology.streams.agentState.name, `KV_${env.topology.buckets.agentState.bucket}`]));
    expect(rowsOf.find((r) => r[0] === `KV_${env.topology.buckets.agentState.bucket}`)?.[1]).toBe('kv bucket');
    for (const r of rowsOf) if (r[4] !== '-') expect(Number(r[4]), r.join(' ')).toBeLessThanOrEqual(Number(r[5]));
    expect(rowsOf.find((r) => r[0] === env.topology.streams.agentMessages.name)?.[4]).toBe('-');

    expect(expectOneLineError(badNats!)).toBe('mister-smith: INVALID_CONFIG: NATS_URL is malformed: "nats//base" is neither a nats:// URL nor host:port; expected nats://host:4222 (several: comma-separated)');
    expect(expectOneLineError(badPg!)).toMatch(/^mister-smith: INVALID_CONFIG: DATABASE_URL is malformed: "postgres\/\/\*\*\*@base\/db" is not a URL/);
  }, 180_000);
});
