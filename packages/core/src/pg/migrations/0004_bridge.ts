import type { Kysely, Migration } from 'kysely';

/** Placeholder: tables of the bridge feature are added here. */
export const bridgeMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
  async down(_db: Kysely<unknown>) {},
};
