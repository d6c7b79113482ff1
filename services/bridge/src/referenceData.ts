import { OUTBOX_PAYLOADS_TABLE, type OutboxRow } from './OutboxStore.js';

/** Scalar fields up to this size are kept in a reference event so consumers can route it without a fetch. */
const MAX_KEPT_FIELD_BYTES = 256;

/** Data of a reference event: where the full payload is, how big it is, and the small fields it had. */
export interface OutboxReference {
  readonly ref: { readonly table: string; readonly id: number };
  /** Always false: nothing is cut; the payload is whole in `ref.table`. */
  readonly truncated: false;
  /** Size of the payload's JSON text in bytes. */
  readonly size: number;
  /** Top-level payload fields left out of this event (large or structured: values, results, metadata). */
  readonly omitted: readonly string[];
  readonly [field: string]: unknown;
}

/**
 * Builds the data of the event published in place of a payload too large for one message: the
 * payload's small scalar fields (ids, operation, status, version, timestamp) plus a reference to the
 * full payload in `mister_smith.outbox_payloads`.
 */
export function referenceData(row: OutboxRow, size: number): OutboxReference {
  const kept: Record<string, unknown> = {};
  const omitted: string[] = [];
  if (typeof row.payload === 'object' && row.payload !== null && !Array.isArray(row.payload)) {
    for (const [k, v] of Object.entries(row.payload as Record<string, unknown>)) {
      const scalar = v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      if (scalar && Buffer.byteLength(JSON.stringify(v)) <= MAX_KEPT_FIELD_BYTES) kept[k] = v;
      else omitted.push(k);
    }
  }
  return { ...kept, ref: { table: OUTBOX_PAYLOADS_TABLE, id: row.id }, truncated: false, size, omitted };
}
