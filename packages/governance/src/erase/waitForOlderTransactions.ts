import type { Database } from '@mister-smith/core';
import { sleep } from '@mister-smith/core/util';
import { sql, type Kysely } from 'kysely';

/**
 * Waits until every transaction that was running when this is called has ended. Called right
 * after the erasure is recorded: a projection or bridge transaction that checked the erased-agents
 * table before the record committed is among them, and any that starts later sees the record. So
 * once they are gone, nothing can write the agent's rows back after the sweep. Returns false when
 * some are still running after `timeoutMs` (a long transaction elsewhere); the sweep then runs anyway.
 */
export async function waitForOlderTransactions(db: Kysely<Database>, timeoutMs = 10_000): Promise<boolean> {
  const running = await sql<{ xid: string }>`SELECT x::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x`.execute(db);
  let pending = running.rows.map((r) => r.xid);
  const deadline = Date.now() + timeoutMs;
  while (pending.length > 0) {
    const r = await sql<{ xid: string }>`SELECT x AS xid FROM unnest(${pending}::text[]) AS x WHERE pg_xact_status(x::xid8) = 'in progress'`.execute(db);
    pending = r.rows.map((x) => x.xid);
    if (pending.length === 0) break;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}
