/**
 * Schema evolution on every read path: `StateChanged` events written before an upcaster existed
 * (schema version 1, a legacy value shape), some only in the PostgreSQL archive after the stream
 * evicted them and some still in the stream, are read at version 2 by `subscribe` (archive and
 * stream), the live agent-state projection, its rebuild, hydration and `agents history`; an event
 * of a future version keeps UNSUPPORTED_SCHEMA and is dead-lettered with that reason.
 */
import { createEvent, createStateStore, registerUpcaster, subscribe, type StateChangedData, type SubscriptionItem } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { agentStateProjection, createProjectionHost, eventArchiveProjection, streamSubjects } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { agentsHistory } from './commands/agentsHistory.js';
import { createOutput } from './cli/Output.js';

type Legacy = { tempF: number };
const legacyPut = (tempF: number, schemaVersion = 1) => createEvent({
  type: 'StateChanged', subject: 'agents.state.thermo', agentId: 'thermo', schemaVersion,
  data: { key: 'temp', op: 'put', value: { tempF }, stored: null, strategy: 'lww', writer: 'legacy' } satisfies StateChangedData,
});

describe('upcasters on every read path', () => {
  it('read old events at the new version from the archive and the stream; a future version keeps its typed error', async () => {
    await using env = await startTestEnv();
    const log = env.logs.agentState;
    await using host = createProjectionHost(env, [eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState')), agentStateProjection()], { lockPollMs: 100 });
    await host.start();
    await log.appendBatch([legacyPut(32), legacyPut(50)]);
    await waitCaughtUp(host);
    await host.pause('archive.agent-state'); // from here on, events are only in the stream
    const third = await log.append(legacyPut(212));
    await waitCaughtUp(host, ['agent-state']);
    const row = () => env.pg.db.selectFrom('agents.state').select('state_value').where('agent_id', '=', 'thermo').executeTakeFirstOrThrow();
    expect((await row()).state_value).toEqual({ tempF: 212 }); // projected before the upcaster existed
    await env.nats.jsm.streams.purge(log.stream, { seq: third.seq }); // 32 and 50 are only archived now

    const off = registerUpcaster<StateChangedData, StateChangedData>({
      type: 'StateChanged', fromVersion: 1,
      upcast: (d) => (d.value !== null && typeof d.value === 'object' && 'tempF' in d.value ? { ...d, value: { tempC: Math.round((((d.value as Legacy).tempF - 32) * 5) / 9) } } : d),
    });
    try {
      // subscribe: archive, then stream.
      const items: SubscriptionItem[] = [];
      for await (const item of subscribe(log, { agentId: 'thermo', from: 'start', archive: env.pg })) { if (item.kind === 'caught-up') break; items.push(item); }
      expect(items.map((i) => (i.kind === 'event' ? [i.source, i.record.event.schemaVersion, i.record.event.data] : i.kind))).toEqual([
        ['archive', 2, expect.objectContaining({ value: { tempC: 0 } })],
        ['archive', 2, expect.objectContaining({ value: { tempC: 10 } })],
        ['stream', 2, expect.objectContaining({ value: { tempC: 100 } })],
      ]);

      // rebuild (archive + stream) and the live projection.
      expect(await host.rebuild('agent-state')).toMatchObject({ fromArchive: 2, fromStream: 1 });
      expect((await row()).state_value).toEqual({ tempC: 100 });
      await log.append(legacyPut(68));
      await waitCaughtUp(host, ['agent-state']);
      expect((await row()).state_value).toEqual({ tempC: 20 });

      // hydration: KV has lost the key, PostgreSQL is behind the stream by one legacy event.
      await host.pause('agent-state');
      await log.append(legacyPut(86));
      await (await env.bucket('agentState')).delete('thermo.temp');
      await using store = await createStateStore(env);
      await store.hydrateAgent('thermo');
      expect(await store.read('thermo', 'temp')).toEqual({ tempC: 30 });

      // history reads (`mister-smith agents history`).
      const history = await agentsHistory('thermo', 'temp', { from: 'start', env: env.childEnv() }, createOutput({ json: true, stdout: new PassThrough() }));
      expect(history.map((h) => h.value)).toEqual([{ tempC: 100 }, { tempC: 20 }, { tempC: 30 }]);

      // A future version: malformed with UNSUPPORTED_SCHEMA for readers, a dead letter with that reason for the projection.
      const future = await log.append(legacyPut(104, 3));
      await host.resume('agent-state');
      for await (const item of subscribe(log, { agentId: 'thermo', from: { seq: future.seq } })) {
        expect(item).toMatchObject({ kind: 'malformed', seq: future.seq, error: { code: 'UNSUPPORTED_SCHEMA' } });
        break;
      }
      await waitCaughtUp(host, ['agent-state']);
      const letters = await env.pg.db.selectFrom('mister_smith.dead_letters').select(['source', 'seq', 'reason']).execute();
      expect(letters).toEqual([expect.objectContaining({ source: 'projection:agent-state', seq: future.seq, reason: expect.stringContaining('UNSUPPORTED_SCHEMA') })]);
      expect((await row()).state_value).toEqual({ tempC: 30 });
    } finally {
      off();
    }
  }, 120_000);
});
