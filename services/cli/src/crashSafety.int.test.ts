import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { StackFile } from './connection/stackFile.js';
import { alive, natsServersOn, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

describe('embedded servers survive a SIGKILL of "up" without harm (built CLI, embedded servers)', () => {
  it('doctor reports the orphans; the next up stops them cleanly, never runs two servers on one data folder, and keeps the data', async () => {
    using data = tempDataDir();
    const e = { MISTER_SMITH_DATA_DIR: data.path, MISTER_SMITH_PROFILE: 'test' }; // no NATS_URL / DATABASE_URL: embedded servers
    const stackOf = () => JSON.parse(readFileSync(join(data.path, 'stack.json'), 'utf8')) as StackFile;
    const leftovers = new Set<number>();
    onTestFinished(() => { for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL'); });

    const first = startCli(['up', '--status-interval', '1'], e);
    await first.waitForLine(/^up: ready/, 150_000);
    const old = stackOf();
    leftovers.add(old.natsPid!).add(old.postgresPid!);
    expect(old).toMatchObject({ pid: first.pid, natsDataDir: join(data.path, 'nats'), postgresDataDir: join(data.path, 'postgres'), natsPort: expect.any(Number), postgresPort: expect.any(Number) });
    expect((await runCli(['agents', 'set', 'crash-1', 'count', '5'], e)).code).toBe(0);

    // kill -9: nothing of ours runs any more, the detached servers do.
    const closed = new Promise<NodeJS.Signals | null>((r) => first.child.once('close', (_code, signal) => r(signal)));
    first.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    expect([old.natsPid, old.postgresPid].map((p) => alive(p!))).toEqual([true, true]);

    const sick = await runCli(['doctor'], e);
    expect(sick.code).toBe(1);
    expect(sick.stdout).toMatch(new RegExp(`^FAIL stack: mister-smith pid ${old.pid} \\(stack\\.json\\) is gone, but nats-server \\(pid ${old.natsPid}, port ${old.natsPort}, .*\\) and PostgreSQL \\(pid ${old.postgresPid}, port ${old.postgresPort}, .*\\) still run on `, 'm'));
    expect(sick.stdout).toMatch(new RegExp(`fix: run "mister-smith up" again in this folder .*kill ${old.natsPid} ${old.postgresPid}$`, 'm'));

    const second = startCli(['up', '--status-interval', '1'], e);
    await second.waitForLine(new RegExp(`^found nats-server \\(pid ${old.natsPid}.* and PostgreSQL \\(pid ${old.postgresPid}.* left running by mister-smith pid ${old.pid}, which is gone: stopping them first$`), 60_000);
    await second.waitForLine(/^up: ready/, 150_000);
    const now = stackOf();
    leftovers.add(now.natsPid!).add(now.postgresPid!);
    expect([old.natsPid, old.postgresPid].filter((p) => alive(p!))).toEqual([]);
    expect(natsServersOn(join(data.path, 'nats'))).toEqual([now.natsPid]);
    expect(second.stdout()).not.toMatch(/POSTGRES_UNAVAILABLE|postmaster\.pid/);
    // AGENT_MESSAGES lives in memory, so it is new after every nats-server restart: said, not warned.
    // The projector says so when its runner for the stream starts, which may be just after "up: ready".
    await second.waitForLine(/AGENT_MESSAGES keeps its messages in memory and is new since the nats-server restarted/, 30_000, 'stderr');
    expect(second.stderr()).not.toMatch(/was recreated/);

    // The acknowledged write made before the kill is still there, and doctor is content.
    const [read, healthy] = await Promise.all([runCli(['agents', 'get', 'crash-1', 'count'], e), runCli(['doctor'], e)]);
    expect(read.stdout.trim()).toBe('5');
    expect(healthy.stdout).toMatch(new RegExp(`^ok {3}stack: mister-smith pid ${second.pid} runs nats-server \\(pid ${now.natsPid}`, 'm'));

    second.kill('SIGINT');
    const run = await second.exit(60_000);
    expect(run.code).toBe(0);
    expect([now.natsPid, now.postgresPid].filter((p) => alive(p!))).toEqual([]);
  }, 300_000);
});
