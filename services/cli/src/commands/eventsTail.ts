import { JetStreamEventLog, msError, subscribe, type SubjectFamily, type SubscribeFrom, type SubscriptionItem, type Topology } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { compactJson } from '../cli/formatTable.js';
import { agentExists } from '../connection/agentExists.js';
import { openClients } from '../connection/openClients.js';
import { waitForShutdown } from '../runtime/waitForShutdown.js';

/** Options of `mister-smith events tail`. */
export interface EventsTailOptions {
  /** Only this agent's events (of `families`, default state and lifecycle). */
  readonly agent?: string;
  /** Subject families of the agent-state stream (default: state and lifecycle with `agent`, all without). */
  readonly families?: readonly SubjectFamily[];
  /** Only events of these types. */
  readonly types?: readonly string[];
  /** Read events the stream no longer keeps from the PostgreSQL archive (needs DATABASE_URL). */
  readonly archive?: boolean;
  /** Logical subjects or filters (wildcards allowed), all of one stream. Default: every agent event. */
  readonly subjects?: readonly string[];
  /** Where to start (default `new`); `{ after: { epoch, seq } }` resumes after a printed position. */
  readonly from?: SubscribeFrom;
  /** Stop after this many events. */
  readonly limit?: number;
  /** Keep following live events after the caught-up marker (default true). */
  readonly follow?: boolean;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `events tail` saw. */
export interface EventsTailResult {
  readonly events: number;
  readonly malformed: number;
  readonly gaps: number;
  readonly caughtUpAt: number | undefined;
}

const STREAM_OF: readonly (readonly [string, keyof Topology['streams']])[] = [['agents.', 'agentState'], ['tasks.', 'taskExecution'], ['messages.', 'agentMessages']];

function streamOf(subjects: readonly string[] | undefined): keyof Topology['streams'] {
  if (!subjects || subjects.length === 0) return 'agentState';
  const keys = new Set(subjects.map((s) => {
    const hit = STREAM_OF.find(([prefix]) => s.startsWith(prefix));
    if (!hit) throw msError('INVALID_SUBJECT', `subject ${JSON.stringify(s)} is in no stream: use agents.*, tasks.* or messages.* subjects`, { details: { subject: s } });
    return hit[1];
  }));
  if (keys.size > 1) throw msError('INVALID_ARGUMENT', 'all --subject filters must be of one stream (agents.*, tasks.* or messages.*)');
  return [...keys][0]!;
}

/**
 * `mister-smith events tail`: core's `subscribe` (catch-up, then live) printed as it arrives, with
 * a marker line once the stored events are through. Runs until the limit, Ctrl-C or, with
 * `follow: false`, the caught-up marker.
 *
 * @example
 * await eventsTail({ agent: 'c1', from: 'start', follow: false });
 */
export async function eventsTail(options: EventsTailOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<EventsTailResult> {
  const stream = streamOf(options.subjects);
  if ((options.agent !== undefined || options.families?.length) && options.subjects?.length) throw msError('INVALID_ARGUMENT', 'give either --agent/--family or --subject, not both');
  if (options.follow === false && (options.from ?? 'new') === 'new') {
    // Nothing stored is shown from "new", and nothing live without following: say so plainly.
    output.record({ type: 'nothing', message: 'nothing to show' }, 'nothing to show: --from new (the default) skips stored events and --no-follow skips live ones; use --from start, a sequence or a time');
    return { events: 0, malformed: 0, gaps: 0, caughtUpAt: undefined };
  }
  await using c = await openClients({ ...(options.env ? { env: options.env } : {}), postgres: options.archive === true });
  const log = new JetStreamEventLog(c.nats, c.topology.streams[stream], { namespace: c.topology.namespace });
  const sub = subscribe(log, {
    from: options.from ?? 'new',
    ...(options.agent !== undefined ? { agentId: options.agent } : {}),
    ...(options.families?.length ? { families: options.families } : {}),
    ...(options.types?.length ? { types: options.types } : {}),
    ...(c.pg ? { archive: c.pg } : {}),
    ...(options.subjects?.length ? { subjects: options.subjects } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  const shutdown = waitForShutdown();
  void shutdown.reason.then(() => sub.stop());
  const result = { events: 0, malformed: 0, gaps: 0, caughtUpAt: undefined as number | undefined };
  // The merged marker carries the sequence of the family that caught up last; the stored events
  // printed before it may go further, so the marker shows the highest sequence seen.
  let highest = 0;
  try {
    for await (const raw of sub) {
      const item: SubscriptionItem = raw.kind === 'caught-up' ? { ...raw, seq: Math.max(raw.seq, highest), position: { ...raw.position, seq: Math.max(raw.seq, highest) } } : raw;
      if (item.kind === 'caught-up' && options.agent !== undefined && result.events === 0 && !(await agentExists(c, options.agent))) {
        if (options.follow === false) throw msError('UNKNOWN_AGENT', `agent ${options.agent} is unknown: no events, no KV state${c.config.databaseUrl !== undefined ? ' and no registry row' : ''}`, { details: { agentId: options.agent } });
        output.record({ type: 'unknown-agent', agentId: options.agent }, `-- agent ${options.agent} is unknown so far (no events, no state); waiting for its first event (Ctrl-C to stop) --`);
      }
      print(item, output, options.follow !== false);
      if (item.kind === 'event') { result.events++; highest = Math.max(highest, item.record.seq); }
      else if (item.kind === 'malformed') { result.malformed++; highest = Math.max(highest, item.seq); }
      else if (item.kind === 'gap') result.gaps++;
      else {
        result.caughtUpAt = item.seq;
        if (options.follow === false) break;
      }
    }
  } finally {
    await sub.stop();
    shutdown.dispose();
  }
  return result;
}

function print(item: SubscriptionItem, output: Output, follow: boolean): void {
  switch (item.kind) {
    case 'event': {
      const { record } = item;
      const e = record.event;
      output.record(
        { type: 'event', seq: record.seq, epoch: item.position.epoch, source: item.source, subject: e.subject, storedAt: record.storedAt.toISOString(), event: e },
        `#${record.seq} ${record.storedAt.toISOString()} ${e.subject} ${e.type} ${compactJson(e.data, 160)}${e.traceparent ? ` traceparent=${e.traceparent}` : ''}`,
      );
      return;
    }
    case 'malformed':
      output.record({ type: 'malformed', seq: item.seq, epoch: item.position.epoch, subject: item.streamSubject, error: { code: item.error.code, message: item.error.message } }, `#${item.seq} MALFORMED ${item.streamSubject}: ${item.error.code}: ${item.error.message}`);
      return;
    case 'gap':
      output.record({ type: 'gap', epoch: item.epoch, fromSeq: item.fromSeq, toSeq: item.toSeq ?? null, reason: item.reason, error: { code: item.error.code, message: item.error.message } }, `-- GAP: ${item.error.message} --`);
      return;
    case 'caught-up':
      output.record({ type: 'caught-up', seq: item.seq, epoch: item.position.epoch }, `-- caught up at seq ${item.seq}${follow ? '; live events follow (Ctrl-C to stop)' : ''} (resume with --from after:${item.position.epoch}:${item.seq}) --`);
  }
}
