import type { ErrorCode } from '@mister-smith/core';
import type { ProjectionStatus, RebuildReport } from '@mister-smith/projections';

/** A request to a projector (JSON). `name` is required by pause, resume and rebuild. */
export interface ProjectorRequest {
  readonly name?: string;
  /** rebuild: swap in even when archive + stream are not contiguous. */
  readonly force?: boolean;
  /** rebuild: reply with the report when done (default), or at once with `{ accepted: true }`. */
  readonly wait?: boolean;
}

/** The status reply: every projection of the answering instance. */
export interface ProjectorStatusResult {
  readonly projections: readonly ProjectionStatus[];
  /** Outcome of the last rebuild per projection on this instance. */
  readonly rebuilds: Readonly<Record<string, { readonly ok: boolean; readonly report?: RebuildReport; readonly error?: ProjectorErrorBody }>>;
}

/** A typed error as it travels in a reply. */
export interface ProjectorErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Every reply: which instance answered, and a result or a typed error. */
export type ProjectorReply<T = unknown> =
  | { readonly ok: true; readonly instance: string; readonly result: T }
  | { readonly ok: false; readonly instance: string; readonly error: ProjectorErrorBody };
