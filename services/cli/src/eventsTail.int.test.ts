import { createEvent } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { createProjectionHost, eventArchiveProjection, streamSubjects } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { describe, expect, it } from 'vitest';
import { runCli, tempDataDir } from './cliTestKit.test.js';

interface TailLine { type: string; seq?: number; epoch?: number; source?: string; reason?: string; fromSeq?: number; event?: { type: string; data: { n: number } } }

describe('mister-smith events tail: filters, resume and the archive (built CLI, real servers)', () => {
  it('filters by agent, family and type, back-fills evicted events from the archive with --archive, and resumes with --from after:', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const log = env.logs.agentState;
    await using host = createProjectionHost(env, [eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState'))], { lockPollMs: 100 });
    await host.start();
    const mk = (family: string, agent: string, type: string, n: number) => createEvent({ type, subject: `agents.${family}.${agent}`, agentId: agent, data: { n } });
    const acks = await log.appendBatch([mk('state', 'a1', 'B', 1), mk('state', 'a1', 'A', 2), mk('lifecycle', 'a1', 'B', 3), mk('state', 'a2', 'B', 4), mk('state', 'a1', 'B', 5), mk('state', 'a1', 'B', 6)]);
    await waitCaughtUp(host);
    await env.nats.jsm.streams.purge(log.stream, { seq: acks[4]!.seq }); // the stream no longer has 1..4

    const args = ['events', 'tail', '--agent', 'a1', '--family', 'state', '--type', 'B', '--from', 'start', '--no-follow', '--json'];
    const [archived, bare] = await Promise.all([runCli([...args, '--archive'], e), runCli(args, e)]);
    expect(archived.code).toBe(0);
    const lines = archived.jsonLines<TailLine>();
    expect(lines.map((l) => (l.type === 'event' ? `${l.event!.data.n}:${l.source}` : l.type))).toEqual(['1:archive', '5:stream', '6:stream', 'caught-up']);
    expect(bare.code).toBe(0);
    expect(bare.jsonLines<TailLine>().map((l) => (l.type === 'event' ? l.event!.data.n : `${l.type}${l.reason ? `:${l.reason}` : ''}`))).toEqual(['gap:evicted', 5, 6, 'caught-up']);

    const five = lines[1]!;
    const resumed = await runCli(['events', 'tail', '--agent', 'a1', '--from', `after:${five.epoch}:${five.seq}`, '--no-follow'], e);
    expect(resumed.code).toBe(0);
    expect(resumed.lines).toHaveLength(2);
    expect(resumed.lines[0]).toMatch(/agents\.state\.a1 B \{"n":6\}/);
    expect(resumed.lines[1]).toMatch(new RegExp(`^-- caught up at seq \\d+ \\(resume with --from after:${five.epoch}:\\d+\\) --$`));
  }, 120_000);
});
