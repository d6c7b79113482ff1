import { JetStreamApiError } from '@nats-io/jetstream';
import { AuthorizationError, ClosedConnectionError, DrainingConnectionError, NoRespondersError, PermissionViolationError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';

/** JetStream API error codes the project reacts to. */
export const JsCodes = {
  streamNotFound: 10059,
  consumerNotFound: 10014,
  wrongLastSequence: 10071,
  wrongLastSequenceUnknown: 10164,
  streamNameInUse: 10058,
  subjectsOverlap: 10065,
  messageNotFound: 10037,
  streamReplicasNotSupported: 10074,
  maxPayload: 10054,
  insufficientResources: 10023,
} as const;

/** The JetStream API error code of `e`, or undefined when it is not an API error. */
export function jsApiCode(e: unknown): number | undefined {
  return e instanceof JetStreamApiError ? e.code : undefined;
}

/** Whether a publish failure is transient (leader election, no responders, timeout) and worth a retry. */
export function isTransientNatsError(e: unknown): boolean {
  // nats.js reports a publish that found no responders (leader election, or no stream) as
  // "jetstream is not enabled", with the no-responders RequestError as its cause.
  return e instanceof TimeoutError || isNoResponders(e) || (e instanceof Error && isNoResponders(e.cause)) || (e instanceof JetStreamApiError && e.code === 10039);
}

function isNoResponders(e: unknown): boolean {
  return e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders());
}

/** Maps a NATS client error to a MisterSmithError with a code (permissions, timeouts, closed). */
export function classifyNatsError(e: unknown, context: string): MisterSmithError {
  if (MisterSmithError.is(e)) return e;
  if (causes(e).some((c) => c instanceof PermissionViolationError || c instanceof AuthorizationError)) return msError('PERMISSION_DENIED', `${context}: permission denied`, { cause: e });
  if (e instanceof TimeoutError) return msError('TIMEOUT', `${context}: NATS did not answer in time`, { cause: e });
  if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) return msError('CLOSED', `${context}: the NATS connection is closed`, { cause: e });
  if (e instanceof NoRespondersError) return msError('NATS_UNAVAILABLE', `${context}: no JetStream responders (stream missing or leader election under way)`, { cause: e });
  const code = jsApiCode(e);
  return msError('NATS_UNAVAILABLE', `${context}: ${(e as Error)?.message ?? String(e)}`, { cause: e, details: code === undefined ? {} : { apiCode: code } });
}

/** `e` and its chain of causes (nats.js wraps a permission violation in a RequestError). */
function causes(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let c = e, i = 0; c !== undefined && c !== null && i < 6; c = (c as { cause?: unknown }).cause, i++) out.push(c);
  return out;
}
