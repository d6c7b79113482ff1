/**
 * A write made against a base version that the stream has since evicted: the base comes from the
 * PostgreSQL archive (kept by the archive projection), so the write merges as it would have while
 * the stream held it; with the archive row gone too, it is BASE_UNAVAILABLE, never an overwrite.
 */
import { createStateStore, MisterSmithError } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { createProjectionHost, eventArchiveProjection, streamSubjects } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { describe, expect, it } from 'vitest';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

describe('state store: a base version the stream evicted', () => {
  it('is read from the archive and merged; without its archive row it is BASE_UNAVAILABLE', async () => {
    await using env = await startTestEnv();
    const log = env.logs.agentState;
    await using host = createProjectionHost(env, [eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState'))], { lockPollMs: 100 });
    await host.start();
    const store = await createStateStore(env, { writerId: 'w1' });
    try {
      const base = (await store.write('ev1', 'tags', ['a'], { strategy: 'vclock' })).version;
      // Six later writes push the base out of the key's KV history (5 revisions)...
      for (let i = 0; i < 6; i++) await store.write('ev1', 'tags', ['a', `later-${i}`], { strategy: 'vclock', writer: 'w2' });
      await waitCaughtUp(host);
      // ...and the stream evicts it (everything before the write after it).
      await env.nats.jsm.streams.purge(log.stream, { seq: base.seq + 1 });
      expect((await log.bounds()).firstSeq).toBe(base.seq + 1);

      // A client that read the first version writes now: concurrent with the six, so vclock merges
      // (a write that found no base would be refused; one that ignored it would overwrite).
      const stale = await store.write('ev1', 'tags', ['a', 'stale'], { strategy: 'vclock', writer: 'w3', base });
      expect(stale.merged).toBe(true);
      expect(await store.read('ev1', 'tags')).toEqual(stale.value);

      // The archive lost the row as well: nothing to merge against.
      await env.pg.db.deleteFrom('mister_smith.event_archive').where('stream', '=', log.stream).where('seq', '=', base.seq).execute();
      expect(await codeOf(store.write('ev1', 'tags', ['x'], { strategy: 'vclock', writer: 'w4', base }))).toBe('BASE_UNAVAILABLE');
      expect(await store.read('ev1', 'tags')).toEqual(stale.value);
    } finally {
      await store.close();
    }
  });
});
