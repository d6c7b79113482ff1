import { assertAgentId, assertSubject } from '../config/identifiers.js';
import type { EventEnvelope } from './EventEnvelope.js';
import { latestSchemaVersion } from './upcasters.js';
import { uuidV7 } from './uuidV7.js';

/** Fields a caller may set when creating an event; id, time and schema version are filled in. */
export interface CreateEventInput<TType extends string, TData> {
  readonly type: TType;
  readonly subject: string;
  readonly data: TData;
  readonly agentId?: string;
  readonly id?: string;
  readonly time?: Date;
  readonly causationId?: string;
  readonly correlationId?: string;
  readonly traceparent?: string;
  /** Default: the type's latest schema version (see `registerUpcaster`). */
  readonly schemaVersion?: number;
}

/**
 * Typed event factory: validates subject and agent id and stamps a uuid v7 id and the time.
 *
 * @example
 * const e = createEvent({ type: 'StateChanged', subject: `agents.state.${id}`, agentId: id, data: { key: 'n', op: 'put' } });
 */
export function createEvent<TType extends string, TData>(input: CreateEventInput<TType, TData>): EventEnvelope<TType, TData> {
  assertSubject(input.subject);
  if (input.agentId !== undefined) assertAgentId(input.agentId);
  const e: EventEnvelope<TType, TData> = {
    id: input.id ?? uuidV7(),
    type: input.type,
    subject: input.subject,
    ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
    time: (input.time ?? new Date()).toISOString(),
    schemaVersion: input.schemaVersion ?? latestSchemaVersion(input.type),
    ...(input.causationId !== undefined ? { causationId: input.causationId } : {}),
    ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
    ...(input.traceparent !== undefined ? { traceparent: input.traceparent } : {}),
    data: input.data,
  };
  return Object.freeze(e);
}

/** A new uuid v7 (time-ordered), used for event and command ids. */
export function newId(): string {
  return uuidV7();
}
