import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRegistry, stateMetrics } from '../observability/coreMetrics.js';
import { silentLogger } from '../observability/createLogger.js';
import type { StateRow } from '../pg/upsertStateRows.js';
import { InMemoryStateRepository } from '../testing/InMemoryStateRepository.js';
import { WriteBehind } from './WriteBehind.js';

let seq = 0;
const row = (agentId: string, stateKey: string, value: unknown = seq): StateRow => ({ agentId, stateKey, value, stored: null, strategy: 'lww', epoch: 1, seq: ++seq });

function setup(options: { threshold?: number; intervalMs?: number } = {}) {
  const repo = new InMemoryStateRepository();
  const wb = new WriteBehind(repo, { threshold: options.threshold ?? 50, intervalMs: options.intervalMs ?? 1_000, logger: silentLogger(), metrics: stateMetrics(createRegistry()) });
  return { repo, wb };
}

describe('WriteBehind: the one flush owner', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('flushes an agent on its own policy: its threshold, else its interval', async () => {
    const { repo, wb } = setup({ threshold: 1_000, intervalMs: 60_000 });
    wb.setPolicy('fast', { threshold: 2, intervalMs: 5_000 });
    wb.setPolicy('slow', { threshold: 100, intervalMs: 30_000 });
    wb.add(row('fast', 'a'));
    wb.add(row('slow', 'a'));
    await vi.advanceTimersByTimeAsync(0);
    expect(repo.upserts).toBe(0);
    wb.add(row('fast', 'b')); // threshold 2 reached: fast flushes, slow does not
    await vi.advanceTimersByTimeAsync(0);
    expect(await repo.loadAgent('fast')).toHaveProperty('size', 2);
    expect(await repo.loadAgent('slow')).toHaveProperty('size', 0);
    wb.add(row('fast', 'c'));
    await vi.advanceTimersByTimeAsync(5_000); // fast's interval
    expect((await repo.loadAgent('fast')).has('c')).toBe(true);
    expect(wb.size).toBe(1); // slow's row waits for its own interval
    await vi.advanceTimersByTimeAsync(25_000);
    expect(wb.size).toBe(0);
    expect((await repo.loadAgent('slow')).has('a')).toBe(true);
  });

  it('without a policy an agent uses the store defaults; the buffer threshold flushes everything', async () => {
    const { repo, wb } = setup({ threshold: 3, intervalMs: 1_000 });
    wb.add(row('a', 'k'));
    wb.add(row('b', 'k'));
    await vi.advanceTimersByTimeAsync(999);
    expect(repo.upserts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(repo.upserts).toBe(1);
    wb.add(row('a', 'k1')); wb.add(row('b', 'k1')); wb.add(row('c', 'k1'));
    await vi.advanceTimersByTimeAsync(0);
    expect(repo.upserts).toBe(2);
    expect(wb.size).toBe(0);
  });

  it('group commit: concurrent flush requests share transactions, each resolved once its row committed', async () => {
    const { repo, wb } = setup({ threshold: 10_000, intervalMs: 60_000 });
    const rows = Array.from({ length: 64 }, (_, i) => row(`agent-${i}`, 'k'));
    const acks = rows.map((r) => { wb.add(r); return wb.flush((x) => x.agentId === r.agentId && x.stateKey === r.stateKey); });
    const reports = await Promise.all(acks);
    // One transaction for the 64 writes of one tick, not 64.
    expect(repo.upserts).toBe(1);
    expect(reports.every((r) => r.rows === 64)).toBe(true);
    for (const r of rows) expect((await repo.get(r.agentId, 'k'))?.seq).toBe(r.seq);
  });

  it('group commit: requests made while a transaction is in flight form the next one', async () => {
    const { repo, wb } = setup({ threshold: 10_000, intervalMs: 60_000 });
    wb.add(row('a', 'k'));
    const first = wb.flush();
    await Promise.resolve(); await Promise.resolve();
    const later = Array.from({ length: 10 }, (_, i) => { const r = row(`b${i}`, 'k'); wb.add(r); return wb.flush((x) => x.agentId === r.agentId); });
    await first;
    await Promise.all(later);
    expect(repo.upserts).toBe(2);
  });

  it('keeps rows dirty when PostgreSQL fails, rejects the waiting writers, and retries with backoff until written', async () => {
    const { repo, wb } = setup({ threshold: 10_000, intervalMs: 1_000 });
    repo.failNext(2);
    wb.add(row('a', 'k', 'v'));
    const e = await wb.flush().catch((x: unknown) => x) as { code?: string };
    expect(e.code).toBe('POSTGRES_UNAVAILABLE');
    expect(wb.size).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(wb.size).toBe(0);
    expect((await repo.get('a', 'k'))?.value).toBe('v');
  });

  it('keeps the newest version per key, and a newer write during a flush stays dirty', async () => {
    const { repo, wb } = setup({ threshold: 10_000, intervalMs: 60_000 });
    const old = row('a', 'k', 'old');
    const newer = row('a', 'k', 'new');
    wb.add(newer);
    wb.add(old);
    const f = wb.flush();
    const newest = row('a', 'k', 'newest');
    await Promise.resolve();
    wb.add(newest);
    await f;
    expect(wb.size).toBe(1);
    await wb.flush();
    expect((await repo.get('a', 'k'))?.value).toBe('newest');
  });

  it('close flushes what is left and stops its timer', async () => {
    const { repo, wb } = setup({ threshold: 10_000, intervalMs: 60_000 });
    wb.add(row('a', 'k'));
    expect(await wb.close()).toBe(0);
    expect(repo.upserts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
