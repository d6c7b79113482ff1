import { MisterSmithError, msError, type ErrorCode } from '@mister-smith/core';

/** A request/reply answer: `{ ok: true, result }` or `{ ok: false, error: { code, message } }`. */
export type RpcReply<T = unknown> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string; readonly details?: Readonly<Record<string, unknown>> } };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a successful reply. */
export function okReply(result: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ ok: true, result: result ?? null }));
}

/** Encodes an error reply: the code and message of a MisterSmithError, INTERNAL for anything else. */
export function errorReply(e: unknown): Uint8Array {
  const error = MisterSmithError.is(e)
    ? { code: e.code, message: e.message, ...(Object.keys(e.details).length > 0 ? { details: e.details } : {}) }
    : { code: 'INTERNAL' as const, message: (e as Error)?.message ?? String(e) };
  return encoder.encode(JSON.stringify({ ok: false, error }));
}

/** Parses a JSON request body; INVALID_ARGUMENT for bytes that are not a JSON object. */
export function parseRequest(data: Uint8Array): Record<string, unknown> {
  let o: unknown;
  try {
    o = data.length === 0 ? {} : JSON.parse(decoder.decode(data));
  } catch (e) {
    throw msError('INVALID_ARGUMENT', 'the request is not UTF-8 JSON', { cause: e });
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw msError('INVALID_ARGUMENT', 'the request must be a JSON object');
  return o as Record<string, unknown>;
}

/** Turns a reply back into its result, or throws the MisterSmithError it carries. */
export function unwrapReply<T>(data: Uint8Array): T {
  let reply: RpcReply<T>;
  try {
    reply = JSON.parse(decoder.decode(data)) as RpcReply<T>;
  } catch (e) {
    throw msError('INTERNAL', 'the reply is not JSON', { cause: e });
  }
  if (reply && reply.ok === true) return reply.result;
  if (reply && reply.ok === false && reply.error && typeof reply.error.code === 'string') {
    throw msError(reply.error.code, reply.error.message, { details: { ...(reply.error.details ?? {}) } });
  }
  throw msError('INTERNAL', 'the reply is not an { ok, result | error } envelope');
}
