import { msError } from '../errors/MisterSmithError.js';
import type { EventEnvelope } from './EventEnvelope.js';
import { upcastEvent } from './upcasters.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Serialises an envelope; throws PAYLOAD_TOO_LARGE when it exceeds `maxBytes` (the stream's max_msg_size). */
export function encodeEvent(event: EventEnvelope, maxBytes?: number): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(event));
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    throw msError('PAYLOAD_TOO_LARGE', `event ${event.type} on ${event.subject} is ${bytes.length} bytes, over the stream's limit of ${maxBytes} bytes`, { details: { size: bytes.length, limit: maxBytes, subject: event.subject } });
  }
  return bytes;
}

/** Parses and validates an envelope; MALFORMED_EVENT or UNSUPPORTED_SCHEMA on bad input. */
export function decodeEvent(bytes: Uint8Array): EventEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw msError('MALFORMED_EVENT', 'event payload is not UTF-8 JSON', { cause: e, details: { size: bytes.length } });
  }
  return validateEnvelope(raw);
}

/** Validates an already-parsed envelope and upcasts it to its type's latest schema version. */
export function validateEnvelope(raw: unknown): EventEnvelope {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('event is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'string' || !UUID.test(o.id)) throw malformed('event id must be a uuid');
  if (typeof o.type !== 'string' || o.type.length === 0 || o.type.length > 128) throw malformed('event type must be a non-empty string');
  if (typeof o.subject !== 'string' || o.subject.length === 0) throw malformed('event subject must be a non-empty string');
  if (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time))) throw malformed('event time must be an ISO-8601 string');
  if (typeof o.schemaVersion !== 'number' || !Number.isInteger(o.schemaVersion) || o.schemaVersion < 1) throw malformed('schemaVersion must be a positive integer');
  for (const f of ['agentId', 'causationId', 'correlationId'] as const) {
    if (o[f] !== undefined && typeof o[f] !== 'string') throw malformed(`${f} must be a string`);
  }
  if (o.traceparent !== undefined && (typeof o.traceparent !== 'string' || !TRACEPARENT.test(o.traceparent))) throw malformed('traceparent must be W3C trace context');
  if (!('data' in o)) throw malformed('event has no data');
  // Old versions are brought up to date by the registered upcasters; a newer one is UNSUPPORTED_SCHEMA.
  return upcastEvent(o as unknown as EventEnvelope);
}

function malformed(reason: string) {
  return msError('MALFORMED_EVENT', `malformed event: ${reason}`, { details: { reason } });
}
