import { describe, expect, it } from 'vitest';
import { msError } from '@mister-smith/core';
import type { DeadLetter } from '../pg/deadLetters.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { commitIsolatingPoison, type BatchCommit } from './commitIsolatingPoison.js';

const item = (seq: number): ProjectionItem => ({ kind: 'malformed', epoch: 1, seq, subject: 's', storedAt: new Date(0), raw: new Uint8Array(), error: msError('MALFORMED_EVENT', 'x') });
const letterOf = (i: ProjectionItem, e: unknown, attempts: number): DeadLetter => ({ source: 't', stream: 's', epoch: 1, seq: i.seq, subject: 's', reason: String((e as Error).message), payload: new Uint8Array(), attempts });

describe('commitIsolatingPoison', () => {
  it('commits everything around a poison event, in order, and dead-letters it after the attempts', async () => {
    const committed: number[] = [];
    const lettersCommitted: number[] = [];
    let calls5 = 0;
    const commit: BatchCommit = async (items, letters, upto) => {
      if (items.some((i) => i.seq === 5)) { calls5++; throw new Error('poison 5'); }
      committed.push(...items.map((i) => i.seq));
      lettersCommitted.push(...letters.map((l) => l.seq));
      committed.push(-upto);
    };
    const dead = await commitIsolatingPoison(commit, [1, 2, 3, 4, 5, 6, 7].map(item), [], 7, {
      maxAttempts: 3, retryBaseMs: 1, deadLetterOf: letterOf, isInfrastructure: async () => false,
    });
    expect(dead.map((d) => [d.seq, d.attempts, d.reason])).toEqual([[5, 3, 'poison 5']]);
    expect(lettersCommitted).toEqual([5]);
    expect(committed.filter((s) => s > 0)).toEqual([1, 2, 3, 4, 6, 7]);
    expect(Math.min(...committed)).toBe(-7); // the checkpoint reached the end of the batch
    expect(calls5).toBeGreaterThanOrEqual(3);
  });

  it('rethrows infrastructure failures without dead-lettering anything', async () => {
    const failure = msError('POSTGRES_UNAVAILABLE', 'down');
    const commit: BatchCommit = async () => { throw failure; };
    const result = commitIsolatingPoison(commit, [item(1), item(2)], [], 2, { maxAttempts: 3, retryBaseMs: 1, deadLetterOf: letterOf, isInfrastructure: async () => true });
    await expect(result).rejects.toBe(failure);
  });
});
