import {
  builtinProjections, discardDeadLetter, listDeadLetters, replayDeadLetter, showDeadLetter,
  type DeadLetterDetail, type DeadLetterEntry, type ReplayOutcome,
} from '@mister-smith/projections';
import { msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';

/** Options every `mister-smith deadletters` command takes. */
export interface DeadLettersOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith deadletters list`: events and tasks given up on, oldest first, with the reason.
 *
 * @example
 * const letters = await deadlettersList({ source: 'projection:agent-state' });
 */
export async function deadlettersList(options: DeadLettersOptions & { readonly source?: string; readonly limit?: number } = {}, output: Output = createOutput({ json: options.json === true })): Promise<DeadLetterEntry[]> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const letters = await listDeadLetters(c.requirePg().db, { ...(options.source !== undefined ? { source: options.source } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  output.result(letters, () => (letters.length === 0 ? 'no dead letters' : formatTable(
    ['ID', 'SOURCE', 'STREAM', 'SEQ', 'SUBJECT', 'ATTEMPTS', 'REASON'],
    letters.map((l) => [String(l.id), l.source, l.stream ?? '', l.seq === null ? '' : String(l.seq), l.subject ?? '', String(l.attempts), l.reason]),
  )));
  return letters;
}

/** `mister-smith deadletters show ID`: one dead letter with its payload. */
export async function deadlettersShow(id: number, options: DeadLettersOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<DeadLetterDetail> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const l = await showDeadLetter(c.requirePg().db, id);
  output.result(l, () => [
    `id:       ${l.id}`, `source:   ${l.source}`, `position: ${l.stream ?? '-'} epoch ${l.epoch ?? '-'} seq ${l.seq ?? '-'}`, `subject:  ${l.subject ?? '-'}`,
    `attempts: ${l.attempts}`, `at:       ${l.createdAt.toISOString()}`, `reason:   ${l.reason}`, `payload:  ${l.payload ?? ''}`,
  ]);
  return l;
}

/**
 * `mister-smith deadletters replay ID`: hands a projection's dead letter to its projection again;
 * it applies (and is removed) or stays with its new reason. Exits 1 when it failed again.
 */
export async function deadlettersReplay(id: number, options: DeadLettersOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<ReplayOutcome> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const outcome = await replayDeadLetter({ pg: c.requirePg(), nats: c.nats, topology: c.topology }, await builtinProjections(c), id);
  output.result(outcome, () => (outcome.outcome === 'applied' ? `dead letter ${id} applied and removed` : `dead letter ${id} failed again: ${outcome.reason}`));
  if (outcome.outcome === 'failed') throw msError('DEAD_LETTERED', `dead letter ${id} failed again: ${outcome.reason}`, { details: { id } });
  return outcome;
}

/** `mister-smith deadletters discard ID`: removes a dead letter for good. */
export async function deadlettersDiscard(id: number, options: DeadLettersOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<DeadLetterEntry> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const l = await discardDeadLetter(c.requirePg().db, id);
  output.result(l, () => `dead letter ${id} (${l.source}, ${l.reason}) discarded`);
  return l;
}
