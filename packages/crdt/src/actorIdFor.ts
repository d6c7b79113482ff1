import { CrdtError } from './CrdtError.js';
import { isHlcTimestamp, type HlcTimestamp } from './HlcTimestamp.js';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, as 16 hex digits. Not cryptographic; spreads ids. */
export function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  return hash.toString(16).padStart(16, '0');
}

/**
 * The Automerge actor id for one write: a hash of the writer and clock node followed by the
 * write's HLC wall time and counter (19 bytes, 38 hex digits).
 *
 * Every write gets its own actor. Automerge numbers the changes of one actor 1, 2, 3, ...; two
 * processes that edit the same document under one actor id would both produce change number n
 * and the documents could never be merged again. An HLC stamp is unique per clock, so the id is
 * unique as long as clock node ids are, and it is deterministic, so replays produce identical
 * change hashes.
 */
export function actorIdFor(writer: string, hlc: HlcTimestamp): string {
  if (typeof writer !== 'string' || writer.length === 0 || !isHlcTimestamp(hlc)) {
    throw new CrdtError('INVALID_ARGUMENT', 'actorIdFor needs a writer id and a valid HLC timestamp');
  }
  const who = fnv1a64(`${writer}\u0000${hlc.node}`);
  return `${who}${hlc.wall.toString(16).padStart(14, '0')}${hlc.counter.toString(16).padStart(8, '0')}`;
}

/**
 * Actor id for a document created from plain content with no history: a hash of the content,
 * so two writers that create the same initial content produce the identical first change, and
 * their later edits land in shared lists and maps instead of competing copies.
 */
export function genesisActorId(canonicalContent: string): string {
  return fnv1a64(`genesis\u0000${canonicalContent}`);
}

/** Whether `value` is usable as an Automerge actor id (a non-empty, even-length hex string). */
export function isActorId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length % 2 === 0 && /^[0-9a-f]+$/.test(value);
}
