import { createDatabase, findCommandResult, MisterSmithError } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { createSupervisor } from './createSupervisor.js';
import type { SupervisorOptions } from './Supervisor.js';
import { eventsOf, stateRows } from './supervisorTestKit.test.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

/** A supervisor with its own NATS and PostgreSQL connections, as if it were another process. */
async function supervisorProcess(env: TestEnv, supervisorId: string, extra: Partial<SupervisorOptions> = {}) {
  const nats = await env.connect();
  const pg = await createDatabase(env.databaseUrl, { max: 4 });
  const sup = await createSupervisor({ nats, pg, topology: env.topology, supervisorId, agentTypes: [counterAgent], ...extra });
  /**
   * SIGKILL as far as the servers can tell: both connections drop, nothing is flushed or released.
   * (The pool ends once the supervisor lets go of its dedicated connections, so it is awaited last.)
   */
  const kill = async () => {
    await nats.nc.close();
    const pgClosed = pg.close();
    await codeOf(sup.stop());
    await pgClosed;
  };
  return { sup, kill };
}

const commandRows = async (env: TestEnv, agentId: string) =>
  (await sql<{ command_id: string; reply: unknown }>`SELECT command_id, reply FROM mister_smith.command_results WHERE agent_id = ${agentId} ORDER BY version`.execute(env.pg.db)).rows;

describe('durable command idempotency', () => {
  it('answers a retried command id with its first reply across passivation and a full restart; another payload is IDEMPOTENCY_CONFLICT', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    let sup = await createSupervisor({ ...env, supervisorId: 'sup-a', agentTypes: [counterAgent] });
    try {
      await sup.spawn('counter', 'c1');
      const first = await sup.command('c1', 'increment', { by: 5 }, { commandId: 'pay-1' });
      expect(first).toMatchObject({ commandId: 'pay-1', result: 5, changedKeys: ['count'] });
      expect(first.duplicate).toBeUndefined();
      // A generated id is returned, and retrying with it is a duplicate too.
      const generated = await sup.command('c1', 'increment', { by: 1 });
      expect((await sup.command('c1', 'increment', { by: 1 }, { commandId: generated.commandId })).duplicate).toBe(true);
      expect(await sup.command('c1', 'increment', { by: 5 }, { commandId: 'pay-1' })).toMatchObject({ result: 5, version: first.version, duplicate: true });
      expect(await codeOf(sup.command('c1', 'increment', { by: 6 }, { commandId: 'pay-1' }))).toBe('IDEMPOTENCY_CONFLICT');
      expect(await codeOf(sup.command('c1', 'set', { value: 5 }, { commandId: 'pay-1' }))).toBe('IDEMPOTENCY_CONFLICT');
      // A command that changes nothing still records its reply.
      const noop = await sup.command('c1', 'increment', { by: 0 }, { commandId: 'noop-1' });
      expect(noop).toMatchObject({ result: 6, changedKeys: [] });
      expect(await sup.stopAgent('c1')).toMatchObject({ lifecycle: 'EXPIRED' });
      expect(await commandRows(env, 'c1')).toEqual([
        { command_id: 'pay-1', reply: { result: 5, changedKeys: ['count'] } },
        { command_id: generated.commandId, reply: { result: 6, changedKeys: ['count'] } },
        { command_id: 'noop-1', reply: { result: 6, changedKeys: [] } },
      ]);
      // Re-activated after passivation: the index comes back from PostgreSQL.
      expect(await sup.command('c1', 'increment', { by: 5 }, { commandId: 'pay-1' })).toMatchObject({ result: 5, duplicate: true });
      expect(await sup.command('c1', 'increment', { by: 0 }, { commandId: 'noop-1' })).toMatchObject({ result: 6, changedKeys: [], duplicate: true });
      await sup.stop();
      // A full restart: a new supervisor, a new state store.
      sup = await createSupervisor({ ...env, supervisorId: 'sup-b', agentTypes: [counterAgent] });
      expect(await sup.command('c1', 'increment', { by: 5 }, { commandId: 'pay-1' })).toMatchObject({ result: 5, duplicate: true });
      expect(await codeOf(sup.command('c1', 'increment', { by: 7 }, { commandId: 'pay-1' }))).toBe('IDEMPOTENCY_CONFLICT');
      expect((await sup.command('c1', 'increment', { by: 1 }, { commandId: 'pay-2' })).result).toBe(7);
    } finally {
      await sup.stop();
    }
    expect((await stateRows(env, 'c1')).get('count')).toBe(7);
    expect((await findCommandResult(env.pg.db, 'c1', 'pay-2'))?.reply).toEqual({ result: 7, changedKeys: ['count'] });
  });

  it("keeps the caller's command id when a supervisor forwards the command to the owner", async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const a = await supervisorProcess(env, 'sup-a');
    const b = await supervisorProcess(env, 'sup-b');
    try {
      await a.sup.spawn('counter', 'f1');
      const viaB = await b.sup.command('f1', 'increment', { by: 2 }, { commandId: 'fwd-1' });
      expect(viaB).toMatchObject({ commandId: 'fwd-1', result: 2 });
      expect(b.sup.lifecycleOf('f1')).toBeUndefined(); // it ran on the owner, A
      expect(await a.sup.command('f1', 'increment', { by: 2 }, { commandId: 'fwd-1' })).toMatchObject({ result: 2, duplicate: true });
      // Without a caller's id, the forwarding supervisor makes one, returns it, and a retry with it is a duplicate.
      const made = await b.sup.command('f1', 'increment', { by: 1 });
      expect(await b.sup.command('f1', 'increment', { by: 1 }, { commandId: made.commandId })).toMatchObject({ result: 3, duplicate: true });
      expect((await a.sup.get('f1', 'count')).value).toBe(3);
    } finally {
      await b.sup.stop();
      await a.sup.stop();
    }
  });

  it('an owner killed before its flush: the next owner finds the command in the stream after PostgreSQL and does not run it again', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    // A flushes nothing before it dies: its acknowledged commands exist only in the stream.
    const a = await supervisorProcess(env, 'sup-a', { stateStoreOptions: { flushIntervalMs: 3_600_000, flushThreshold: 100_000 } });
    const b = await supervisorProcess(env, 'sup-b');
    try {
      await a.sup.spawn('counter', 'k1');
      await a.sup.command('k1', 'set', { value: 10 }, { commandId: 'before' });
      await a.sup.flush();
      const acked = await a.sup.command('k1', 'increment', { by: 1 }, { commandId: 'in-flight' });
      const quiet = await a.sup.command('k1', 'increment', { by: 0 }, { commandId: 'quiet' });
      expect(await commandRows(env, 'k1')).toEqual([{ command_id: 'before', reply: { result: 10, changedKeys: ['count'] } }]);
      await a.kill();
      expect((await commandRows(env, 'k1')).map((r) => r.command_id), 'A flushed nothing more before it died').toEqual(['before']);
      // The client retries through B (it never saw A's reply): B waits A's lease out, takes over, and answers from the record.
      expect(await b.sup.command('k1', 'increment', { by: 1 }, { commandId: 'in-flight' })).toMatchObject({ result: 11, version: acked.version, duplicate: true });
      expect(await b.sup.command('k1', 'increment', { by: 0 }, { commandId: 'quiet' })).toMatchObject({ result: quiet.result, duplicate: true });
      expect(await b.sup.command('k1', 'set', { value: 10 }, { commandId: 'before' })).toMatchObject({ result: 10, duplicate: true });
      expect((await b.sup.get('k1', 'count')).value).toBe(11);
      // Hydration wrote what it found in the stream tail to PostgreSQL.
      expect((await commandRows(env, 'k1')).map((r) => r.command_id)).toEqual(['before', 'in-flight', 'quiet']);
    } finally {
      await b.sup.stop();
    }
    const increments = (await eventsOf(env.logs.agentState, 'agents.state.k1')).filter((e) => e.type === 'StateChanged' && (e.data as { commandId?: string }).commandId === 'in-flight');
    expect(increments).toHaveLength(1);
  });
});
