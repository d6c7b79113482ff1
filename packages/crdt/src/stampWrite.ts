import { CrdtError } from './CrdtError.js';
import type { WriteContext } from './ConflictStrategy.js';
import type { HlcTimestamp } from './HlcTimestamp.js';

/** Check the parts of a write context every strategy relies on. */
export function assertWriteContext(ctx: WriteContext): void {
  if (typeof ctx !== 'object' || ctx === null || typeof ctx.writer !== 'string' || ctx.writer.length === 0) {
    throw new CrdtError('INVALID_ARGUMENT', 'A write needs a non-empty writer id');
  }
  if (typeof ctx.clock?.now !== 'function' || typeof ctx.clock.receive !== 'function') {
    throw new CrdtError('INVALID_ARGUMENT', 'A write needs a hybrid logical clock');
  }
}

/**
 * The HLC stamp of a write: `ctx.at` when given (after the clock observed it), otherwise a
 * fresh stamp after every stamp the writer has seen, so a write always orders after the values
 * it was based on, whatever the writer's wall clock says.
 */
export function stampWrite(ctx: WriteContext, observed: ReadonlyArray<HlcTimestamp | undefined>): HlcTimestamp {
  if (ctx.at !== undefined) {
    ctx.clock.receive(ctx.at);
    return Object.freeze({ wall: ctx.at.wall, counter: ctx.at.counter, node: ctx.at.node });
  }
  let stamp: HlcTimestamp | undefined;
  for (const ts of observed) {
    if (ts !== undefined) stamp = ctx.clock.receive(ts);
  }
  return stamp ?? ctx.clock.now();
}
