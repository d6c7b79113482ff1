import { createHash } from 'node:crypto';

/** Longest token spelled out in full; longer ids are hashed (see `encodeToken`). */
export const MAX_PLAIN_TOKEN = 120;

/**
 * Maps an arbitrary string (a LangGraph thread id, a checkpoint namespace, a store namespace) onto
 * one NATS subject token / KV key segment, injectively: `[A-Za-z0-9-]` stay as they are, every
 * other UTF-8 byte becomes `_XX` (upper-case hex), and the result is prefixed with `x` so that the
 * empty string has a token too. Decoding is unambiguous, so two ids never share a token.
 *
 * Tokens longer than {@link MAX_PLAIN_TOKEN} would make subjects and keys unwieldy: those ids
 * become `h` + the SHA-256 of the id (base32), and every record keeps the id itself, so a
 * collision is detected (`ID_COLLISION`) instead of mixing two threads. Never truncated.
 *
 * @example
 * encodeToken('user 42/é') // 'xuser_2042_2F_C3_A9'
 */
export function encodeToken(id: string): string {
  let out = 'x';
  for (const byte of Buffer.from(id, 'utf8')) {
    const alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d;
    out += alnum ? String.fromCharCode(byte) : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length > MAX_PLAIN_TOKEN) return hashedToken(id);
  }
  return out;
}

/** The inverse of `encodeToken` for plain tokens; undefined for hashed ones (their id is in the record). */
export function decodeToken(token: string): string | undefined {
  if (!token.startsWith('x')) return undefined;
  const bytes: number[] = [];
  for (let i = 1; i < token.length; i++) {
    const c = token[i]!;
    if (c === '_') { bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function hashedToken(id: string): string {
  const digest = createHash('sha256').update(id, 'utf8').digest();
  let bits = 0;
  let value = 0;
  let out = 'h';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += BASE32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
