import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import { frameworkTransaction } from './createDatabase.js';
import { upsertStateRows, type StateRow } from './upsertStateRows.js';

const E1 = 1_700_000_000_000;
const E2 = E1 + 60_000;

async function rowOf(env: TestEnv, agentId: string, stateKey: string) {
  return env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).where('state_key', '=', stateKey).executeTakeFirst();
}

async function outbox(env: TestEnv) {
  return env.pg.db.selectFrom('mister_smith.outbox').selectAll().orderBy('id').execute();
}

const put = (agentId: string, stateKey: string, epoch: number, seq: number, value: unknown = { seq }): StateRow => ({ agentId, stateKey, epoch, seq, value, stored: null, strategy: 'lww' });

describe('upsertStateRows', () => {
  it('never lets an older version overwrite a newer row', async () => {
    await using env = await startTestEnv({ provision: false });
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 5, 'five')])).toEqual({ written: 1, skipped: 0 });
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 3, 'three')])).toEqual({ written: 0, skipped: 1 });
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ state_value: 'five', version: 5, version_epoch: E1 });
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 6, 'six')])).toEqual({ written: 1, skipped: 0 });
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ state_value: 'six', version: 6 });
  });

  it('skips a replay of the same version, even when it carries another value', async () => {
    await using env = await startTestEnv({ provision: false });
    await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 7, { v: 'original' })]);
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 7, { v: 'original' })])).toEqual({ written: 0, skipped: 1 });
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 7, { v: 'impostor' })])).toEqual({ written: 0, skipped: 1 });
    expect((await rowOf(env, 'a1', 'k'))?.state_value).toEqual({ v: 'original' });
  });

  it('orders by stream epoch first: a recreated stream with a lower sequence wins', async () => {
    await using env = await startTestEnv({ provision: false });
    await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 1000, 'old-stream')]);
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E2, 1, 'new-stream')])).toEqual({ written: 1, skipped: 0 });
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ state_value: 'new-stream', version_epoch: E2, version: 1 });
    // And the old incarnation can no longer write, however high its sequence.
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 1_000_000, 'late')])).toEqual({ written: 0, skipped: 1 });
    expect((await rowOf(env, 'a1', 'k'))?.state_value).toBe('new-stream');
  });

  it('keeps the newest of several versions of one key in a batch, and writes other keys independently', async () => {
    await using env = await startTestEnv({ provision: false });
    const report = await upsertStateRows(env.pg.db, [
      put('a1', 'k', E1, 4), put('a1', 'k', E1, 9), put('a1', 'other', E1, 2), put('a1', 'k', E1, 6), put('a2', 'k', E1, 1),
    ]);
    expect(report).toEqual({ written: 3, skipped: 2 });
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ version: 9, state_value: { seq: 9 } });
    expect(await rowOf(env, 'a1', 'other')).toMatchObject({ version: 2 });
    expect(await rowOf(env, 'a2', 'k')).toMatchObject({ version: 1 });
  });

  it('keeps tombstones, stores meta and strategy, and a stale write does not resurrect a deleted key', async () => {
    await using env = await startTestEnv({ provision: false });
    await upsertStateRows(env.pg.db, [{ ...put('a1', 'k', E1, 1, { n: 1 }), stored: { hlc: '1-0' }, strategy: 'lww' }]);
    await upsertStateRows(env.pg.db, [{ agentId: 'a1', stateKey: 'k', value: null, epoch: E1, seq: 2, tombstone: true, stored: null, strategy: 'lww' }]);
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ tombstone: true, state_value: null, version: 2 });
    expect(await upsertStateRows(env.pg.db, [put('a1', 'k', E1, 1, { n: 1 })])).toEqual({ written: 0, skipped: 1 });
    expect(await rowOf(env, 'a1', 'k')).toMatchObject({ tombstone: true, state_value: null });
    await upsertStateRows(env.pg.db, [{ ...put('a2', 'k', E1, 1, 'x'), stored: { clock: { a: 1 } }, strategy: 'vclock' }]);
    expect(await rowOf(env, 'a2', 'k')).toMatchObject({ meta: { clock: { a: 1 } }, strategy: 'vclock', tombstone: false });
  });

  it('does nothing for an empty batch', async () => {
    await using env = await startTestEnv({ provision: false });
    expect(await upsertStateRows(env.pg.db, [])).toEqual({ written: 0, skipped: 0 });
  });

  it('ends with the newest version for any order, duplication and batching of the writes', async () => {
    await using env = await startTestEnv({ provision: false });
    let run = 0;
    const version = fc.record({ epoch: fc.constantFrom(E1, E2), seq: fc.integer({ min: 1, max: 50 }) });
    const writes = fc.array(fc.record({ key: fc.constantFrom('x', 'y', 'z'), v: version }), { minLength: 1, maxLength: 12 })
      .map((ws) => ws.map((w) => ({ ...w, value: `${w.key}@${w.v.epoch}:${w.v.seq}` })));
    await fc.assert(
      fc.asyncProperty(
        // Each write is delivered one to three times, in any order, cut into batches anywhere.
        writes.chain((ws) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: ws.length, maxLength: ws.length }).chain((copies) => {
          const deliveries = ws.flatMap((w, i) => Array.from({ length: copies[i]! }, () => w));
          return fc.tuple(
            fc.constant(ws),
            fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
            fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 40 }),
          );
        })),
        async ([ws, delivered, cuts]) => {
          const agent = `p${run++}`;
          let at = 0;
          for (let c = 0; at < delivered.length; c++) {
            const size = cuts[c % cuts.length]!;
            const batch = delivered.slice(at, at + size).map((w) => put(agent, w.key, w.v.epoch, w.v.seq, w.value));
            at += size;
            await upsertStateRows(env.pg.db, batch);
          }
          for (const key of new Set(ws.map((w) => w.key))) {
            const newest = ws.filter((w) => w.key === key).reduce((a, b) => (b.v.epoch > a.v.epoch || (b.v.epoch === a.v.epoch && b.v.seq > a.v.seq) ? b : a));
            // Equal versions carry equal values here, so the newest version also names the value.
            expect(await rowOf(env, agent, key)).toMatchObject({ version_epoch: newest.v.epoch, version: newest.v.seq, state_value: newest.value });
          }
          const keys = await env.pg.db.selectFrom('agents.state').select('state_key').where('agent_id', '=', agent).execute();
          expect(keys).toHaveLength(new Set(ws.map((w) => w.key)).size);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('outbox trigger on agents.state', () => {
  it('records a plain SQL edit in the outbox, with the subject and old and new values', async () => {
    await using env = await startTestEnv({ provision: false });
    await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, [put('a1', 'mood', E1, 3, 'calm')]));
    expect(await outbox(env)).toEqual([]);
    await sql`UPDATE agents.state SET state_value = '"angry"'::jsonb WHERE agent_id = 'a1' AND state_key = 'mood'`.execute(env.pg.db);
    const rows = await outbox(env);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subject: 'agents.state.a1', event_type: 'StateEditedInSql', published_at: null,
      payload: { operation: 'UPDATE', agent_id: 'a1', state_key: 'mood', old_value: 'calm', new_value: 'angry', version: 3, version_epoch: E1 },
    });
  });

  it('writes no outbox row for the framework\'s own transaction, and the marker does not outlive it', async () => {
    await using env = await startTestEnv({ provision: false });
    await frameworkTransaction(env.pg.db, async (trx) => {
      await upsertStateRows(trx, [put('a1', 'k', E1, 1, 'one')]);
      await sql`UPDATE agents.state SET state_value = '"edited-by-framework"'::jsonb WHERE agent_id = 'a1'`.execute(trx);
      await sql`DELETE FROM agents.state WHERE agent_id = 'nobody'`.execute(trx);
    });
    expect(await outbox(env)).toEqual([]);
    expect((await rowOf(env, 'a1', 'k'))?.state_value).toBe('edited-by-framework');

    // On the very same connection, right after a framework transaction, a user's edit is recorded again.
    await env.pg.withClient(async (client) => {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('mister_smith.origin', 'framework', true)`);
      await client.query(`UPDATE agents.state SET state_value = '"framework-again"'::jsonb WHERE agent_id = 'a1'`);
      await client.query('COMMIT');
      await client.query(`UPDATE agents.state SET state_value = '"user"'::jsonb WHERE agent_id = 'a1'`);
    });
    const rows = await outbox(env);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.payload).toMatchObject({ old_value: 'framework-again', new_value: 'user' });
  });

  it('records user inserts and deletes too, and a rolled back edit leaves no row', async () => {
    await using env = await startTestEnv({ provision: false });
    await sql`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('a9', 'k', '1'::jsonb, 0, 0)`.execute(env.pg.db);
    await sql`DELETE FROM agents.state WHERE agent_id = 'a9'`.execute(env.pg.db);
    await env.pg.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('a9', 'gone', '2'::jsonb, 0, 0)`.execute(trx);
      throw new Error('rollback');
    }).catch(() => undefined);
    const rows = await outbox(env);
    expect(rows.map((r) => (r.payload as { operation: string }).operation)).toEqual(['INSERT', 'DELETE']);
    expect(rows[1]?.payload).toMatchObject({ tombstone: true, old_value: 1, new_value: null });
  });
});
