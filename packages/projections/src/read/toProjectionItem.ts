import { decodeEvent, MisterSmithError, msError } from '@mister-smith/core';
import type { ProjectionItem } from '../types/ProjectionItem.js';

/** Strips the namespace prefix from a stored subject. */
export function logicalSubject(namespace: string | undefined, stored: string): string {
  return namespace && stored.startsWith(`${namespace}.`) ? stored.slice(namespace.length + 1) : stored;
}

/** Decodes one stored message into a projection item; a decoding failure becomes a `malformed` item. */
export function toProjectionItem(position: { epoch: number; seq: number; subject: string; storedAt: Date }, raw: Uint8Array): ProjectionItem {
  return itemOf(position.epoch, position.seq, position.subject, position.storedAt, raw);
}

/** `toProjectionItem` without the position object (the reader's hot path: one allocation per item). */
export function itemOf(epoch: number, seq: number, subject: string, storedAt: Date, raw: Uint8Array): ProjectionItem {
  try {
    return { kind: 'event', epoch, seq, subject, storedAt, raw, event: decodeEvent(raw) };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', 'undecodable event', { cause: e });
    return { kind: 'malformed', epoch, seq, subject, storedAt, raw, error };
  }
}
