/**
 * A human-in-the-loop request, as a handler opens it with `ctx.wait`.
 *
 * @example
 * ctx.wait({ requestId: 'approve-7', payload: { question: 'Send the email?' }, timeoutMs: 3_600_000, onResume: 'approved', onTimeout: 'expired' });
 */
export interface WaitRequest {
  /** `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`, unique among the agent's pending requests; default generated. */
  readonly requestId?: string;
  /** What the human (or system) is asked; shown by `agents list --waiting`. */
  readonly payload?: unknown;
  /** ISO-8601 time or milliseconds since the epoch. */
  readonly deadline?: string | number;
  /** Deadline relative to now. */
  readonly timeoutMs?: number;
  /** The command that receives `{ requestId, value, request }` when resumed. */
  readonly onResume: string;
  /** The command that receives `{ requestId, timedOut: true, request }` at the deadline (default: the request just ends). */
  readonly onTimeout?: string;
}

/** A pending request as listings show it. */
export interface WaitInfo {
  readonly agentId: string;
  readonly agentType?: string;
  readonly requestId: string;
  readonly payload?: unknown;
  /** ISO-8601, when the request has a deadline. */
  readonly deadline?: string;
  readonly createdAt: string;
}
