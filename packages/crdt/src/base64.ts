import { CrdtError } from './CrdtError.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encode bytes as standard, padded base64 (RFC 4648 section 4), for storing binaries in JSON. */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decode standard, padded base64. Unlike `Buffer.from(text, 'base64')`, which skips characters
 * it does not know, anything that is not canonical base64 is refused.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when `text` is not base64.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64.test(text)) {
    throw new CrdtError('CORRUPT_ENTRY', 'Not a base64 string', {
      details: { sample: typeof text === 'string' ? text.slice(0, 32) : typeof text },
    });
  }
  const buffer = Buffer.from(text, 'base64');
  // Padding bits must be zero, otherwise two different strings would decode to the same bytes.
  if (buffer.toString('base64') !== text) {
    throw new CrdtError('CORRUPT_ENTRY', 'Not canonical base64', { details: { sample: text.slice(0, 32) } });
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
