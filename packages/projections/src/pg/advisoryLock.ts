import type { Db } from './dbTypes.js';

/** First key of every Mister Smith advisory lock ('MS'); the second is `hashtext(name)`. */
const LOCK_CLASS = 0x4d53;

/** Tries to take the session advisory lock named `key` on `db`'s connection (bind it first with `db.connection()`). */
export async function tryAdvisoryLock(db: Db, key: string): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => eb.fn<boolean>('pg_try_advisory_lock', [eb.lit(LOCK_CLASS), eb.fn<number>('hashtext', [eb.val(key)])]).as('locked'))
    .executeTakeFirstOrThrow();
  return row.locked;
}

/** Releases the session advisory lock named `key`; false when this session did not hold it. */
export async function advisoryUnlock(db: Db, key: string): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => eb.fn<boolean>('pg_advisory_unlock', [eb.lit(LOCK_CLASS), eb.fn<number>('hashtext', [eb.val(key)])]).as('unlocked'))
    .executeTakeFirstOrThrow();
  return row.unlocked;
}

/** The lock key of a projection. */
export function projectionLockKey(projection: string): string {
  return `mister_smith.projection:${projection}`;
}

/** The server process id behind `db`'s connection (what `pg_terminate_backend` takes). */
export async function backendPid(db: Db): Promise<number> {
  const row = await db.selectNoFrom((eb) => eb.fn<number>('pg_backend_pid', []).as('pid')).executeTakeFirstOrThrow();
  return row.pid;
}
