import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { EventEnvelope } from '../events/EventEnvelope.js';
import { decodeEvent, validateEnvelope } from '../events/eventCodec.js';
import type { ArchivedMessage } from '../pg/readArchive.js';
import type { SubscriptionItem } from './SubscriptionItem.js';

/** The raw bytes of an archived message kept as `{ $raw: base64 }` (it did not decode when archived). */
function rawOf(envelope: unknown): Uint8Array | undefined {
  const env = envelope as Record<string, unknown> | null;
  return env !== null && typeof env === 'object' && typeof env.$raw === 'string' ? Buffer.from(env.$raw, 'base64') : undefined;
}

/** An archived message's event, decoded (and upcast) exactly as from the stream; MALFORMED_EVENT when it is not one. */
export function decodeArchivedEvent(m: ArchivedMessage): EventEnvelope {
  const raw = rawOf(m.envelope);
  return raw ? decodeEvent(raw) : validateEnvelope(m.envelope);
}

/** An archived message as the subscription yields it: decoded (and upcast) exactly as from the stream. */
export function archivedEventItem(log: EventLog, m: ArchivedMessage): SubscriptionItem {
  const streamSubject = log.subjectOf(m.subject);
  const position = { epoch: m.epoch, seq: m.seq };
  try {
    const event = decodeArchivedEvent(m);
    return { kind: 'event', record: { event, seq: m.seq, streamSubject, storedAt: m.storedAt }, position, source: 'archive' };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', `archived event ${streamSubject}#${m.seq} is invalid`, { cause: e });
    return { kind: 'malformed', seq: m.seq, streamSubject, error, data: rawOf(m.envelope) ?? encodeJson(m.envelope), position, source: 'archive' };
  }
}

function encodeJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}
