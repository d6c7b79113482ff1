import type { DatabaseHandle, DeadLetterTable } from '@mister-smith/core';

/** The kysely handle core hands out (pool-wide, or bound to one connection). */
export type Db = DatabaseHandle['db'];

/** Dead-letter columns added by migration 0003 (epoch, attempts). */
export type DeadLetterRow = DeadLetterTable & {
  epoch: number | null;
  attempts: number;
};

/** Tables and columns of migration 0003 that core's `Database` type does not list. */
export type ProjectionTables = {
  'mister_smith.dead_letters': DeadLetterRow;
};
