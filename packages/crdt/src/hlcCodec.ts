import { CrdtError } from './CrdtError.js';
import { isHlcTimestamp, type HlcTimestamp } from './HlcTimestamp.js';

const WALL_DIGITS = 14; // 2^53 fits in 14 hex digits
const COUNTER_DIGITS = 8;
const ENCODED = /^([0-9a-f]{14})-([0-9a-f]{8})-([\s\S]+)$/;

/**
 * Encode a timestamp as `<wall:14 hex>-<counter:8 hex>-<node>`, e.g.
 * `0000018bcfe56800-00000000-agent-7`. Fixed-width, zero-padded fields make plain string
 * comparison (UTF-16 code units, or `COLLATE "C"` in PostgreSQL) agree with {@link compareHlc}.
 *
 * @throws CrdtError `INVALID_ARGUMENT` when `ts` is not a valid timestamp.
 */
export function encodeHlc(ts: HlcTimestamp): string {
  if (!isHlcTimestamp(ts)) {
    throw new CrdtError('INVALID_ARGUMENT', 'Cannot encode an invalid HLC timestamp', { details: { ts } });
  }
  const wall = ts.wall.toString(16).padStart(WALL_DIGITS, '0');
  const counter = ts.counter.toString(16).padStart(COUNTER_DIGITS, '0');
  return `${wall}-${counter}-${ts.node}`;
}

/**
 * Decode the output of {@link encodeHlc}.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when `text` is not an encoded timestamp.
 */
export function decodeHlc(text: string): HlcTimestamp {
  const match = typeof text === 'string' ? ENCODED.exec(text) : null;
  const decoded =
    match === null
      ? undefined
      : { wall: Number.parseInt(match[1] ?? '', 16), counter: Number.parseInt(match[2] ?? '', 16), node: match[3] ?? '' };
  if (decoded === undefined || !isHlcTimestamp(decoded)) {
    throw new CrdtError('CORRUPT_ENTRY', 'Not an encoded HLC timestamp', { details: { text } });
  }
  return Object.freeze(decoded);
}
