import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { StreamPosition } from '../events/EventEnvelope.js';
import { commandRecorded } from '../commands/commandRecorded.js';
import type { CommandRecord } from '../commands/CommandResult.js';
import { flushCommitted } from './flushCommitted.js';
import { recoverFromStream } from './recoverFromStream.js';
import type { WriteOptions } from './StateStore.js';
import type { WritePath } from './commitStateWrite.js';

const MAX_APPEND_ATTEMPTS = 40;

/**
 * Records the reply of a command that changed no state key: appends `CommandRecorded` to
 * `agents.state.<agentId>` (fenced by `expectedLastSeq`, else with the agent's last sequence
 * expected, retried after catching up) and queues the result for the flush. Call it under the
 * agent's lock.
 */
export async function recordCommandResult(path: WritePath, agentId: string, record: CommandRecord, opts: Pick<WriteOptions, 'writer' | 'expectedLastSeq' | 'durability'>): Promise<{ version: StreamPosition }> {
  const view = await path.viewOf(agentId);
  const fenced = opts.expectedLastSeq !== undefined;
  if (fenced && opts.expectedLastSeq! > view.seq) await path.catchUp(agentId, view);
  const event = commandRecorded(agentId, { ...record, writer: opts.writer ?? path.writerId });
  for (let attempt = 1; ; attempt++) {
    const expected = fenced ? opts.expectedLastSeq! : view.seq;
    let ack: StreamPosition;
    try {
      ack = await path.log.append(event, { expectedLastSubjectSeq: expected });
    } catch (e) {
      if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
      // Our own first attempt may have landed although its ack was lost.
      const mine = (await recoverFromStream(path.log, agentId, expected)).commands.find((c) => c.commandId === record.commandId && c.digest === record.digest);
      if (mine) {
        ack = mine.version;
      } else {
        await path.catchUp(agentId, view);
        if (fenced) throw e;
        if (attempt >= MAX_APPEND_ATTEMPTS) throw msError('RETRIES_EXHAUSTED', `recording command ${record.commandId} of ${agentId} lost ${attempt} append races`, { cause: e, details: { agentId, attempts: attempt } });
        continue;
      }
    }
    view.seq = Math.max(view.seq, ack.seq);
    path.writeBehind.addCommand({ agentId, ...record, version: { epoch: ack.epoch, seq: ack.seq }, recordedAt: new Date(event.time) });
    if ((opts.durability ?? path.durability) === 'postgres') await flushCommitted(path.writeBehind, agentId, undefined, ack, (r) => r.agentId === agentId);
    return { version: { epoch: ack.epoch, seq: ack.seq } };
  }
}
