import { describe, expect, it } from 'vitest';
import { createEvent } from '../events/createEvent.js';
import { encodeEvent } from '../events/eventCodec.js';
import { InMemoryEventLog } from '../testing/InMemoryEventLog.js';
import { archivedEventItem } from './archivedEventItem.js';

const log = new InMemoryEventLog({ epoch: 7 });
const at = (envelope: unknown) => ({ epoch: 7, seq: 3, subject: 'agents.state.a1', eventType: 'StateChanged', envelope, storedAt: new Date(0) });

describe('archivedEventItem: an archive row as the subscription yields it', () => {
  const event = createEvent({ type: 'Noted', subject: 'agents.state.a1', agentId: 'a1', data: { n: 1 } });

  it('decodes an envelope kept as JSON and one kept as raw bytes alike', () => {
    const fromJson = archivedEventItem(log, at(JSON.parse(JSON.stringify(event))));
    const bytes = encodeEvent(event);
    const fromRaw = archivedEventItem(log, at({ $raw: Buffer.from(bytes).toString('base64') }));
    for (const item of [fromJson, fromRaw]) {
      expect(item).toMatchObject({ kind: 'event', position: { epoch: 7, seq: 3 }, source: 'archive' });
      if (item.kind === 'event') expect(item.record.event.id).toBe(event.id);
    }
  });

  it('yields what does not decode as malformed, with the bytes the archive kept', () => {
    const junk = Buffer.from('not json at all');
    const raw = archivedEventItem(log, at({ $raw: junk.toString('base64') }));
    expect(raw).toMatchObject({ kind: 'malformed', seq: 3, source: 'archive' });
    if (raw.kind === 'malformed') {
      expect(raw.error.code).toBe('MALFORMED_EVENT');
      expect(Buffer.from(raw.data).toString()).toBe('not json at all');
    }
    const notEnvelope = archivedEventItem(log, at({ hello: 'world' }));
    expect(notEnvelope.kind).toBe('malformed');
    if (notEnvelope.kind === 'malformed') expect(JSON.parse(Buffer.from(notEnvelope.data).toString())).toEqual({ hello: 'world' });
  });
});
