import { createEvent, stateSubject, type EventEnvelope } from '@mister-smith/core';

/** Data of `StepCompleted` on `agents.state.<agentId>`: one durable step's result. */
export interface StepCompletedData {
  readonly commandId: string;
  readonly stepId: string;
  readonly result: unknown;
}

/** A recorded step. */
export type StepCompleted = EventEnvelope<'StepCompleted', StepCompletedData>;

/** Builds a `StepCompleted` event (it changes no state key; projections skip it). */
export function stepCompleted(agentId: string, data: StepCompletedData): StepCompleted {
  return createEvent({ type: 'StepCompleted', subject: stateSubject(agentId), agentId, data });
}
