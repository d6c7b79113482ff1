import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { msError } from '../errors/MisterSmithError.js';
import type { Database } from './schema.js';
import { initial } from './migrations/0001_initial.js';
import { outboxTriggers } from './migrations/0002_outbox_triggers.js';
import { projectionsMigration } from './migrations/0003_projections.js';
import { bridgeMigration } from './migrations/0004_bridge.js';
import { agentRuntimeMigration } from './migrations/0015_agent_runtime.js';
import { governanceMigration } from './migrations/0016_governance.js';
import { snapshotsMigration } from './migrations/0018_snapshots.js';
import { commandResultsMigration } from './migrations/0019_command_results.js';

/** Every migration, in order. Names sort lexically, as kysely's Migrator requires. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_outbox_triggers': outboxTriggers,
  '0003_projections': projectionsMigration,
  '0004_bridge': bridgeMigration,
  '0015_agent_runtime': agentRuntimeMigration,
  '0016_governance': governanceMigration,
  '0018_snapshots': snapshotsMigration,
  '0019_command_results': commandResultsMigration,
};

/** The outcome of a migration run. */
export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: number;
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: 'mister_smith',
    migrationTableName: 'migrations',
    migrationLockTableName: 'migrations_lock',
  });
}

/** Applies every pending migration (kysely Migrator, locked against concurrent runs). */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  const m = migrator(db as unknown as Kysely<unknown>);
  const before = (await m.getMigrations()).filter((x) => x.executedAt !== undefined).length;
  const result: MigrationResultSet = await m.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw msError('INTERNAL', `migration ${failed ?? '(unknown)'} failed: ${(result.error as Error).message ?? String(result.error)}`, { cause: result.error });
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName), alreadyApplied: before };
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  return (await migrator(db as unknown as Kysely<unknown>).getMigrations()).filter((x) => x.executedAt === undefined).map((x) => x.name);
}
