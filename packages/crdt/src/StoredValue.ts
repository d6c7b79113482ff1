import type { JsonValue } from './jsonValue.js';
import type { LwwRegister } from './lwwRegister.js';
import type { VclockRegister } from './vclockRegister.js';

/** Names of the built-in conflict strategies; also the `s` tag of their stored values. */
export type StrategyName = 'lww' | 'vclock' | 'crdt';

/** Stored form of the `lww` strategy: one register. */
export interface LwwStored extends LwwRegister<JsonValue> {
  readonly s: 'lww';
}

/** Stored form of the `vclock` strategy: the unsuperseded versions (siblings). */
export interface VclockStored extends VclockRegister<JsonValue> {
  readonly s: 'vclock';
}

/** Stored form of the `crdt` strategy: a saved Automerge document, base64-encoded. */
export interface CrdtStored {
  readonly s: 'crdt';
  /** `Automerge.save` output in standard padded base64. */
  readonly doc: string;
}

/**
 * What a key's value looks like at rest (KV entry, event payload, `agents.state.value`):
 * JSON data tagged with its strategy, so it survives `JSON.stringify` / `JSON.parse` unchanged.
 * Build it with a strategy's `prepare`, combine with `merge`, show with `read`, and validate
 * untrusted input with `parse` or {@link parseStored}.
 */
export type StoredValue = LwwStored | VclockStored | CrdtStored;
