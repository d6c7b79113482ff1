import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The postmaster pid of an embedded PostgreSQL (first line of `postmaster.pid`), if it runs. */
export async function postgresPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
