import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { EventLog } from '../eventlog/EventLog.js';
import { decodeEvent, validateEnvelope } from '../events/eventCodec.js';
import type { ArchivedMessage } from '../pg/readArchive.js';
import type { SubscriptionItem } from './SubscriptionItem.js';

/** An archived message as the subscription yields it: decoded (and upcast) exactly as from the stream. */
export function archivedEventItem(log: EventLog, m: ArchivedMessage): SubscriptionItem {
  const streamSubject = log.subjectOf(m.subject);
  const position = { epoch: m.epoch, seq: m.seq };
  const env = m.envelope as Record<string, unknown> | null;
  const raw = env !== null && typeof env === 'object' && typeof env.$raw === 'string' ? Buffer.from(env.$raw, 'base64') : undefined;
  try {
    const event = raw ? decodeEvent(raw) : validateEnvelope(env);
    return { kind: 'event', record: { event, seq: m.seq, streamSubject, storedAt: m.storedAt }, position, source: 'archive' };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', `archived event ${streamSubject}#${m.seq} is invalid`, { cause: e });
    return { kind: 'malformed', seq: m.seq, streamSubject, error, data: raw ?? encodeJson(env), position, source: 'archive' };
  }
}

function encodeJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}
