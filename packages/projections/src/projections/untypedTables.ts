import type { ProjectionTransaction } from '../types/Projection.js';

/**
 * The transaction with any table name allowed: a rebuild writes the same rows into shadow tables
 * whose names are only known at run time.
 */
export type AnyTables = Record<string, Record<string, unknown>>;

/** `trx` typed for tables known only at run time. */
export function untyped(trx: ProjectionTransaction) {
  return trx.withTables<AnyTables>();
}

/** JSON for a jsonb parameter (null stays SQL NULL). */
export function jsonParam(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}
