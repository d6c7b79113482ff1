import { erasedAmong, JetStreamLargeValues, resolveEventValue, type LargeValueStore } from '@mister-smith/core';
import type { ProjectionStreamKey, Projection } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { agentOfItem } from './skipErasedAgents.js';
import { untyped } from './untypedTables.js';

const TABLE = 'mister_smith.event_archive';
const CHUNK = 3000;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
// jsonb refuses \u0000 and unpaired surrogates; such payloads are archived as base64 (`$raw`).
const JSONB_UNSAFE = /\\u(0000|d[89a-f][0-9a-f]{2})/i;

/** The archive projection's name for a stream: `archive.agent-state`, `archive.task-execution`, ... */
export function archiveProjectionName(stream: ProjectionStreamKey): string {
  return `archive.${stream.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Event archive: every message of one stream -> `mister_smith.event_archive`, keyed by (stream,
 * epoch, seq) with the logical subject and the envelope, in multi-row `INSERT ... ON CONFLICT DO
 * NOTHING` statements. Undecodable messages are archived too (as `{"$raw": base64}`), so the archive
 * has no holes and a rebuild replays them exactly as the stream would. Events of erased agents are
 * archived as `$erased` placeholders that keep only their position. A rebuild of the archive
 * re-reads the stream into it in place (it is the source of every other rebuild).
 *
 * A `StateChanged` whose value travels by reference (over the inline limit) is archived with the
 * value in place (fetched from the LARGE_VALUES Object Store, whose objects expire after the
 * stream's events do): the archive, like `agents.state`, holds values, so history reads and
 * rebuilds from it need no Object Store.
 *
 * @param subjects the stream's logical subjects (see `topology`); more than one means a whole-stream read.
 */
export function eventArchiveProjection(stream: ProjectionStreamKey, subjects: readonly string[], options: { readonly values?: LargeValueStore } = {}): Projection {
  return {
    name: archiveProjectionName(stream),
    stream,
    subjects,
    tables: [TABLE],
    rebuild: 'in-place',
    acceptsMalformed: true,
    async apply(batch, ctx) {
      const streamName = ctx.topology.streams[stream].name;
      const db = untyped(ctx.trx);
      const erased = await erasedAmong(ctx.trx, batch.flatMap((i) => agentOfItem(i) ?? []));
      const items = stream === 'agentState' ? await withValuesInPlace(batch, erased, options.values ?? JetStreamLargeValues.of(ctx.nats, ctx.topology.objects.largeValues)) : batch;
      const rowOf = (item: ProjectionItem) => {
        const id = erased.size > 0 ? agentOfItem(item) : undefined;
        return id !== undefined && erased.has(id) ? erasedRow(streamName, item) : archiveRow(streamName, item);
      };
      for (let i = 0; i < items.length; i += CHUNK) {
        await db.insertInto(ctx.table(TABLE))
          .values(items.slice(i, i + CHUNK).map(rowOf))
          .onConflict((oc) => oc.columns(['stream', 'epoch', 'seq']).doNothing())
          .execute();
      }
    },
  };
}

/** Items whose `StateChanged` value travels by reference, with the value in place (envelope re-encoded). */
async function withValuesInPlace(items: readonly ProjectionItem[], erased: ReadonlySet<string>, values: LargeValueStore): Promise<readonly ProjectionItem[]> {
  if (!items.some((i) => i.kind === 'event' && i.event.type === 'StateChanged' && (i.event.data as { ref?: unknown } | null)?.ref !== undefined)) return items;
  const out: ProjectionItem[] = [];
  for (const item of items) {
    // An erased agent's event becomes a placeholder (its objects are gone).
    if (item.kind !== 'event' || item.event.type !== 'StateChanged' || erased.has(agentOfItem(item) ?? '')) { out.push(item); continue; }
    const event = await resolveEventValue(values, item.event);
    out.push(event === item.event ? item : { ...item, event, raw: encoder.encode(JSON.stringify(event)) });
  }
  return out;
}

function archiveRow(stream: string, item: ProjectionItem) {
  const base = { stream, epoch: item.epoch, seq: item.seq, subject: item.subject, stored_at: item.storedAt };
  if (item.kind === 'event') {
    const e = item.event;
    return {
      ...base, event_id: e.id, event_type: e.type, agent_id: e.agentId ?? null,
      envelope: jsonbSafeText(item.raw) ?? rawEnvelope(item.raw),
    };
  }
  return { ...base, event_id: NIL_UUID, event_type: '$malformed', agent_id: null, envelope: rawEnvelope(item.raw, item.error.message) };
}

/** An erased agent's event keeps its position (the archive stays contiguous) and nothing else. */
function erasedRow(stream: string, item: ProjectionItem) {
  return { stream, epoch: item.epoch, seq: item.seq, subject: '$erased', stored_at: item.storedAt, event_id: NIL_UUID, event_type: '$erased', agent_id: null, envelope: '{"$erased": true}' };
}

function jsonbSafeText(raw: Uint8Array): string | undefined {
  try {
    const text = decoder.decode(raw);
    return JSONB_UNSAFE.test(text) ? undefined : text;
  } catch {
    return undefined; // not UTF-8: archived as base64 instead
  }
}

function rawEnvelope(raw: Uint8Array, error?: string): string {
  return JSON.stringify({ $raw: Buffer.from(raw).toString('base64'), ...(error !== undefined ? { $error: error } : {}) });
}
