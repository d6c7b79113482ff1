import type { Kysely, Migration } from 'kysely';

/** Placeholder: tables of the projections feature are added here. */
export const projectionsMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
  async down(_db: Kysely<unknown>) {},
};
