import { sleep } from '@mister-smith/core/util';
import { MisterSmithError } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeaseManager } from './createLeaseManager.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

describe('createLeaseManager', () => {
  // One namespace for the file (a 1 s lease TTL); each test uses its own agent ids.
  let env: TestEnv;
  beforeAll(async () => { env = await startTestEnv({ leaseTtlSeconds: 1 }); });
  afterAll(async () => { await env.close(); });

  it('gives an agent to one supervisor, keeps it while renewing, and lets it go on release', async () => {
    const kv = await env.bucket('agentLeases');
    await using a = createLeaseManager({ kv, supervisorId: 'a', ttlMs: 1_000 });
    await using b = createLeaseManager({ kv, supervisorId: 'b', ttlMs: 1_000 });
    await a.acquire('x');
    const err = await b.acquire('x').catch((e: unknown) => e);
    expect(MisterSmithError.is(err, 'NOT_OWNER') && err.details).toMatchObject({ agentId: 'x', owner: 'a' });
    await sleep(2_500); // more than two TTLs: only renewals keep it
    expect(await b.owner('x')).toMatchObject({ supervisorId: 'a' });
    expect(a.holds('x')).toBe(true);
    // Acquiring again is a renewal, not a conflict.
    await a.acquire('x');
    await a.release('x');
    expect(await kv.get('x')).toBeNull();
    expect((await b.acquire('x')).revision).toBeGreaterThan(0);
  });

  it('reports a lease lost when its renewal finds it gone or taken', async () => {
    const kv = await env.bucket('agentLeases');
    await using a = createLeaseManager({ kv, supervisorId: 'a', ttlMs: 1_000 });
    const lost: string[] = [];
    a.onLost((agentId, reason) => lost.push(`${agentId}:${reason}`));
    await a.acquire('y');
    await kv.delete('y'); // an operator, or an expiry followed by another owner's create
    await kv.create('y', JSON.stringify({ supervisorId: 'b', acquiredAt: new Date().toISOString() }));
    await sleep(800);
    expect(lost).toEqual(['y:taken']);
    expect(a.holds('y')).toBe(false);
    // Releasing a lease someone else holds now leaves it alone.
    await a.release('y');
    expect(await a.owner('y')).toMatchObject({ supervisorId: 'b' });
  });

  it('lets a waiting supervisor take over once a silent owner\'s lease ages out', async () => {
    const kv = await env.bucket('agentLeases');
    // The owner stops renewing (as if paused or killed).
    await using silent = createLeaseManager({ kv, supervisorId: 'silent', ttlMs: 1_000, renewIntervalMs: 3_600_000 });
    await using b = createLeaseManager({ kv, supervisorId: 'b', ttlMs: 1_000 });
    await silent.acquire('z');
    expect(await codeOf(b.acquire('z'))).toBe('NOT_OWNER');
    expect(await b.waitUntilFree('z', 5_000)).toBeUndefined();
    await b.acquire('z');
    expect(await b.owner('z')).toMatchObject({ supervisorId: 'b' });
  });

  it('releases every lease on stop and refuses new ones', async () => {
    const kv = await env.bucket('agentLeases');
    const a = createLeaseManager({ kv, supervisorId: 'a', ttlMs: 1_000 });
    await Promise.all(['p', 'q', 'r'].map((id) => a.acquire(id)));
    expect(a.size).toBe(3);
    await a.stop();
    expect((await kv.keys()).filter((k) => ['p', 'q', 'r'].includes(k))).toEqual([]);
    expect(await codeOf(a.acquire('s'))).toBe('CLOSED');
  });
});
