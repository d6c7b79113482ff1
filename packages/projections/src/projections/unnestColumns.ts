import type { ProjectionTransaction } from '../types/Projection.js';
import { untyped } from './untypedTables.js';

/** Separates elements, and marks NULL, in a packed column (JSON text and ids never contain them raw). */
const SEP = '\u0001';
const NULL = '\u0002';

/** The SQL type each packed column is cast to. */
export type ColumnCast = 'text' | 'jsonb' | 'bigint' | 'integer' | 'boolean' | 'timestamptz' | 'uuid';

/**
 * A `SELECT` of many rows from one text parameter per column (`unnest(string_to_array($n, chr(1)))`,
 * cast per column): a multi-row source with a constant number of parameters, as fast as unnest over
 * typed arrays and expressible in kysely's builder. Values must not contain U+0001 or U+0002 (JSON
 * text escapes them; identifiers exclude them); `null` becomes SQL NULL.
 */
export function unnestColumns(trx: ProjectionTransaction, columns: Readonly<Record<string, { cast: ColumnCast; values: readonly (string | number | boolean | null)[] }>>) {
  return untyped(trx).selectNoFrom((eb) => Object.entries(columns).map(([name, c]) => {
    const packed = c.values.map((v) => (v === null ? NULL : String(v))).join(SEP);
    const unnested = eb.fn('unnest', [eb.fn('string_to_array', [eb.val(packed), eb.val(SEP), eb.val(NULL)])]);
    return (c.cast === 'text' ? unnested : eb.cast(unnested, c.cast)).as(name);
  }));
}
