import { expect, it } from 'vitest';
import type { StateRow } from '../pg/upsertStateRows.js';
import type { StateRepository } from './StateRepository.js';

const row = (agentId: string, stateKey: string, seq: number, value: unknown, extra: Partial<StateRow> = {}): StateRow =>
  ({ agentId, stateKey, epoch: 1, seq, value, stored: { s: 'lww', seq }, strategy: 'lww', ...extra });

/**
 * The `StateRepository` contract, run against every implementation (PostgreSQL `agents.state`, in
 * memory): call it inside a `describe` with a factory for an empty repository.
 */
export function stateRepositoryContract(open: () => Promise<{ repository: StateRepository; dispose(): PromiseLike<void> }>): void {
  const withRepo = (fn: (r: StateRepository) => Promise<void>) => async () => {
    const { repository, dispose } = await open();
    try { await fn(repository); } finally { await dispose(); }
  };

  it('upserts rows and reads them back by key and by agent, stored form included', withRepo(async (repo) => {
    expect(await repo.get('a', 'k')).toBeUndefined();
    const r = await repo.upsert([row('a', 'k', 1, { n: 1 }), row('a', 'j', 2, 'x'), row('b', 'k', 3, true)]);
    expect(r).toEqual({ written: 3, skipped: 0 });
    expect(await repo.get('a', 'k')).toMatchObject({ epoch: 1, seq: 1, value: { n: 1 }, stored: { s: 'lww', seq: 1 }, strategy: 'lww' });
    expect([...(await repo.loadAgent('a')).keys()].sort()).toEqual(['j', 'k']);
    expect((await repo.loadAgent('nobody')).size).toBe(0);
  }));

  it('loads many agents in one call, each with exactly its own rows, and an empty map for an agent without rows', withRepo(async (repo) => {
    await repo.upsert([row('a', 'k', 1, 'a-k'), row('a', 'j', 2, 'a-j'), row('b', 'k', 3, 'b-k'), row('c', 'k', 4, 'c-k')]);
    const all = await repo.loadAgents(['a', 'b', 'nobody']);
    expect([...all.keys()].sort()).toEqual(['a', 'b', 'nobody']);
    expect(Object.fromEntries([...all.get('a')!].map(([k, v]) => [k, v.value]))).toEqual({ k: 'a-k', j: 'a-j' });
    expect(Object.fromEntries([...all.get('b')!].map(([k, v]) => [k, v.value]))).toEqual({ k: 'b-k' });
    expect(all.get('nobody')!.size).toBe(0);
    expect((await repo.loadAgents([])).size).toBe(0);
  }));

  it('never regresses: a stale or replayed row is skipped, a newer epoch wins over a higher sequence', withRepo(async (repo) => {
    await repo.upsert([row('a', 'k', 5, 'five')]);
    expect(await repo.upsert([row('a', 'k', 4, 'four'), row('a', 'j', 1, 'new')])).toEqual({ written: 1, skipped: 1 });
    expect(await repo.upsert([row('a', 'k', 5, 'five again')])).toEqual({ written: 0, skipped: 1 });
    expect((await repo.get('a', 'k'))?.value).toBe('five');
    await repo.upsert([row('a', 'k', 1, 'next epoch', { epoch: 2 })]);
    expect(await repo.get('a', 'k')).toMatchObject({ epoch: 2, seq: 1, value: 'next epoch' });
  }));

  it('keeps a delete as a versioned tombstone that an older write cannot resurrect', withRepo(async (repo) => {
    await repo.upsert([row('a', 'k', 1, 'v')]);
    await repo.upsert([row('a', 'k', 2, null, { tombstone: true, stored: null })]);
    await repo.upsert([row('a', 'k', 1, 'v')]);
    expect(await repo.get('a', 'k')).toMatchObject({ seq: 2, tombstone: true });
  }));

  it('collapses several rows of one key in a batch to the newest', withRepo(async (repo) => {
    await repo.upsert([row('a', 'k', 3, 'three'), row('a', 'k', 7, 'seven'), row('a', 'k', 5, 'five')]);
    expect((await repo.get('a', 'k'))?.value).toBe('seven');
  }));
}
