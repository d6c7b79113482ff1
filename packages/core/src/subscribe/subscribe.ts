import type { Kysely } from 'kysely';
import { assertAgentId, assertSubject } from '../config/identifiers.js';
import { subjectMatcher } from '../config/subjectMatches.js';
import { msError } from '../errors/MisterSmithError.js';
import type { EventLog, StartAt } from '../eventlog/EventLog.js';
import type { StreamPosition } from '../events/EventEnvelope.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import type { Database } from '../pg/schema.js';
import { archivedEventItem } from './archivedEventItem.js';
import { readArchive, archivedEpochs } from '../pg/readArchive.js';
import type { GapItem, SubscriptionItem } from './SubscriptionItem.js';

export type { GapItem, SubscriptionItem } from './SubscriptionItem.js';

/** The subject families of the agent-state stream. */
export type SubjectFamily = 'state' | 'lifecycle' | 'heartbeat';

/** Where a subscription starts: a `StartAt`, or right after a position it handed out before. */
export type SubscribeFrom = StartAt | { readonly after: StreamPosition };

/** Options of `subscribe`. Filters combine: agent AND family AND type. */
export interface SubscribeOptions {
  /** Only this agent's events. */
  readonly agentId?: string;
  /** Subject families (default: state and lifecycle with `agentId`, every family without). */
  readonly families?: readonly SubjectFamily[];
  /** Logical subjects or filters (wildcards allowed) instead of agent and families; any stream. */
  readonly subjects?: readonly string[];
  /** Only events of these types. */
  readonly types?: readonly string[];
  /** Default `start`. `{ after: position }` resumes after an item's `position` (its epoch included). */
  readonly from?: SubscribeFrom;
  /**
   * The PostgreSQL archive (`mister_smith.event_archive`): events the stream no longer keeps are
   * read from it, then the stream takes over with no gap and no duplicate. Without it, such a start
   * yields a `gap` item.
   */
  readonly archive?: DatabaseHandle | Kysely<Database>;
  /** What a gap does: a `gap` item (default) or a failed iteration with its typed error. */
  readonly onGap?: 'signal' | 'fail';
  /** Stop after this many events. */
  readonly limit?: number;
}

/** A running subscription: iterate it once; stop it when done. */
export interface Subscription extends AsyncIterable<SubscriptionItem>, AsyncDisposable {
  stop(): Promise<void>;
}

const FAMILIES: readonly SubjectFamily[] = ['state', 'lifecycle', 'heartbeat'];

/**
 * Subscribes to a stream's events: the stored ones from `from`, one `caught-up` item, then live
 * ones, every item with its `position` (stream epoch and sequence) to resume from. Several subject
 * families are read with one stream-wide consumer filtered here (nats-server 2.9 takes one filter
 * per consumer), so items always come in stream order and a position is a safe resume point.
 * Events older than the stream keeps come from the archive when one is given; otherwise a `gap`
 * item says which sequences are missing, as does a position from an earlier stream incarnation.
 *
 * @example
 * const sub = subscribe(stack.logs.agentState, { agentId: 'a1', types: ['StateChanged'], from: 'start', archive: stack.pg });
 * for await (const item of sub) {
 *   if (item.kind === 'event') { console.log(item.record.event.type); saved = item.position; }
 *   else if (item.kind === 'gap') console.warn(`events ${item.fromSeq}..${item.toSeq} are gone`);
 * }
 * // later: subscribe(stack.logs.agentState, { agentId: 'a1', from: { after: saved }, archive: stack.pg })
 */
export function subscribe(log: EventLog, options: SubscribeOptions = {}): Subscription {
  const filters = filtersOf(options);
  const matches = subjectMatcher(filters);
  const types = options.types && options.types.length > 0 ? new Set(options.types) : undefined;
  const db = options.archive === undefined ? undefined : 'db' in options.archive ? options.archive.db : options.archive;
  let stopped = false;
  let yielded = 0;
  let inner: { stop(): Promise<void> } | undefined;
  const wanted = (subject: string, type: string | undefined) => matches(subject) && (types === undefined || type === undefined || types.has(type));
  const limitReached = () => options.limit !== undefined && yielded >= options.limit;

  async function* run(): AsyncGenerator<SubscriptionItem> {
    const epoch = await log.epoch();
    const gap = (g: Omit<GapItem, 'kind' | 'error'>): GapItem => {
      const error = msError('EVENTS_UNAVAILABLE', `events ${g.fromSeq}..${g.toSeq ?? 'end'} of ${log.stream} (epoch ${g.epoch}) are no longer available (${g.reason})`, { details: { ...g, stream: log.stream } });
      if (options.onGap === 'fail') throw error;
      return { kind: 'gap', ...g, error };
    };
    // Archived items of one incarnation from `fromSeq` (to `toSeq`), with a gap item for every hole.
    async function* fromArchive(e: number, fromSeq: number, toSeq: number | undefined): AsyncGenerator<SubscriptionItem, number> {
      let next = fromSeq;
      if (db) {
        for await (const page of readArchive(db, { stream: log.stream, epoch: e, fromSeq, ...(toSeq !== undefined ? { toSeq } : {}) })) {
          for (const m of page) {
            if (stopped) return next;
            if (m.seq > next) yield gap({ epoch: e, fromSeq: next, toSeq: m.seq - 1, reason: 'not-archived' });
            next = m.seq + 1;
            if (m.eventType === '$pruned') {
              // Retention kept the position, not the event: say so to a reader of that subject.
              if (matches(m.subject)) yield gap({ epoch: e, fromSeq: m.seq, toSeq: m.seq, reason: 'pruned' });
              continue;
            }
            if (!wanted(m.subject, m.eventType === '$malformed' ? undefined : m.eventType)) continue;
            const item = archivedEventItem(log, m);
            if (item.kind === 'event' && types && !types.has(item.record.event.type)) continue; // an upcast may rename
            yield item;
          }
        }
      }
      if (toSeq !== undefined && next <= toSeq) yield gap({ epoch: e, fromSeq: next, toSeq, reason: db ? 'not-archived' : 'evicted' });
      return toSeq === undefined ? next : toSeq + 1;
    }

    // Where the stream part starts, after any earlier incarnation's events.
    let cursor: number | 'new' | { time: Date };
    const from = options.from ?? 'start';
    if (typeof from === 'object' && 'after' in from) {
      if (from.after.epoch > epoch) throw msError('INVALID_ARGUMENT', `position ${from.after.epoch}:${from.after.seq} is from a later incarnation of ${log.stream} than the current one (${epoch})`, { details: { position: from.after, epoch } });
      if (from.after.epoch < epoch) {
        if (db) {
          for (const e of await archivedEpochs(db, log.stream, from.after.epoch)) {
            if (e >= epoch) break;
            yield* fromArchive(e, e === from.after.epoch ? from.after.seq + 1 : 1, undefined);
          }
        } else {
          yield gap({ epoch: from.after.epoch, fromSeq: from.after.seq + 1, reason: 'epoch-changed' });
        }
        cursor = 1;
      } else {
        cursor = from.after.seq + 1;
      }
    } else if (from === 'start') {
      cursor = 1;
    } else if (from === 'new') {
      cursor = 'new';
    } else if ('seq' in from) {
      cursor = Math.max(1, from.seq);
    } else {
      cursor = { time: from.time };
    }

    // Events before the stream's first sequence come from the archive; the stream may evict more
    // while they are read, so the bounds are read again until the stream holds the cursor.
    if (typeof cursor === 'number') {
      for (let b = await log.bounds(); cursor < b.firstSeq && !stopped; b = await log.bounds()) {
        cursor = yield* fromArchive(epoch, cursor, b.firstSeq - 1);
      }
    }
    if (stopped) return;
    const sub = log.subscribe({ ...(filters.length === 1 ? { filter: filters[0]! } : {}), from: typeof cursor === 'number' ? { seq: cursor } : cursor });
    inner = sub;
    let dropBelow = 0;
    let checked = typeof cursor !== 'number';
    for await (const item of sub) {
      if (stopped) break;
      if (!checked) {
        // The consumer exists now, starting at or before the stream's current first sequence:
        // what the stream evicted between the last bounds and its creation comes from the archive.
        checked = true;
        const b = await log.bounds();
        if (typeof cursor === 'number' && cursor < b.firstSeq) {
          yield* fromArchive(epoch, cursor, b.firstSeq - 1);
          dropBelow = b.firstSeq;
        }
      }
      if (item.kind === 'caught-up') {
        yield { kind: 'caught-up', seq: item.seq, position: { epoch, seq: item.seq } };
        continue;
      }
      const seq = item.kind === 'event' ? item.record.seq : item.seq;
      if (seq < dropBelow) continue;
      const subject = stripNamespace(log, item.kind === 'event' ? item.record.streamSubject : item.streamSubject);
      if (item.kind === 'event' ? !wanted(subject, item.record.event.type) : !matches(subject)) continue;
      yield { ...item, position: { epoch, seq }, source: 'stream' };
    }
  }

  const gen = (async function* limited(): AsyncGenerator<SubscriptionItem> {
    try {
      for await (const item of run()) {
        if (stopped) return;
        yield item;
        if (item.kind === 'event' || item.kind === 'malformed') {
          yielded++;
          if (limitReached()) return;
        }
      }
    } finally {
      stopped = true;
      await inner?.stop();
    }
  })();
  const stop = async () => {
    stopped = true;
    await inner?.stop();
    await gen.return(undefined);
  };
  return { [Symbol.asyncIterator]: () => gen, stop, [Symbol.asyncDispose]: stop };
}

/** The logical subject of a stored one: without the namespace prefix the log adds. */
function stripNamespace(log: EventLog, streamSubject: string): string {
  const prefix = log.subjectOf('_').slice(0, -1); // 'ns.' or ''
  return prefix && streamSubject.startsWith(prefix) ? streamSubject.slice(prefix.length) : streamSubject;
}

function filtersOf(o: SubscribeOptions): string[] {
  if (o.subjects && o.subjects.length > 0) {
    if (o.agentId !== undefined || o.families !== undefined) throw msError('INVALID_ARGUMENT', 'give either agentId/families or subjects, not both');
    return o.subjects.map((s) => assertSubject(s, { wildcards: true }));
  }
  const id = o.agentId === undefined ? undefined : assertAgentId(o.agentId);
  const families = o.families ?? (id === undefined ? FAMILIES : ['state', 'lifecycle']);
  if (families.length === 0) throw msError('INVALID_ARGUMENT', 'families must name at least one subject family');
  for (const f of families) if (!FAMILIES.includes(f)) throw msError('INVALID_ARGUMENT', `unknown subject family ${JSON.stringify(f)} (known: ${FAMILIES.join(', ')})`);
  // Heartbeats are per supervisor, not per agent: with an agent they are matched stream-wide.
  return families.map((f) => `agents.${f}.${id === undefined || f === 'heartbeat' ? '>' : id}`);
}
