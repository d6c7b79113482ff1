import { describe, expect, it } from 'vitest';
import { createStateStore } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { automerge } from '@mister-smith/crdt';
import { createProjectionHost } from '../host/createProjectionHost.js';
import { agentStateProjection } from './agentStateProjection.js';
import { waitCaughtUp } from '../testing/waitCaughtUp.js';

type Notes = { items: string[] };
const notes = automerge<Notes>({ initial: { items: [] } });
const push = (item: string) => (d: Notes) => { d.items.push(item); };
const sorted = (v: unknown) => [...(v as Notes).items].sort();

/** A writer whose write-behind never flushes during the test: only the projection writes agents.state. */
async function writer(env: TestEnv, id: string) {
  const nats = await env.connect();
  return createStateStore({ nats, pg: env.pg, topology: env.topology }, { writerId: id, cache: { maxEntries: 0 }, flushThreshold: 100_000, flushIntervalMs: 3_600_000 });
}

async function docRow(env: TestEnv, agentId: string) {
  const row = await env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).where('state_key', '=', 'doc').executeTakeFirstOrThrow();
  return { value: sorted(row.state_value), document: sorted(notes.read(notes.parse(row.meta))), version: Number(row.version) };
}

describe('agent-state projection of Automerge writes (events carry changes)', () => {
  it('builds the whole document from the changes of concurrent writers, live and after a rebuild, and a store hydrated from the rebuilt row merges later writes', async () => {
    await using env = await startTestEnv();
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology }, [agentStateProjection()], { lockPollMs: 100 });
    await host.start();
    const [a, b] = [await writer(env, 'wa'), await writer(env, 'wb')];
    try {
      await Promise.all([a, b].map(async (s, w) => {
        for (let i = 0; i < 8; i++) await s.write('crdt-proj', 'doc', push(`${w}-${i}`), { strategy: notes });
      }));
      const written = [0, 1].flatMap((w) => Array.from({ length: 8 }, (_, i) => `${w}-${i}`)).sort();
      await waitCaughtUp(host);
      const live = await docRow(env, 'crdt-proj');
      expect(live).toEqual({ value: written, document: written, version: await a.lastSequence('crdt-proj') });

      await host.rebuild('agent-state');
      expect(await docRow(env, 'crdt-proj')).toEqual(live);

      const c = await writer(env, 'wc');
      try {
        expect(sorted((await c.hydrateAgent('crdt-proj')).values['doc'])).toEqual(written);
        await c.write('crdt-proj', 'doc', push('c-0'), { strategy: notes });
        await a.write('crdt-proj', 'doc', push('a-late'), { strategy: notes });
        const all = [...written, 'a-late', 'c-0'].sort();
        expect(sorted(await a.read('crdt-proj', 'doc'))).toEqual(all);
        await waitCaughtUp(host);
        expect((await docRow(env, 'crdt-proj')).document).toEqual(all);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
