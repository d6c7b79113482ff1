import { describe, expect, it } from 'vitest';
import { applyWrite } from './applyWrite.js';
import { automerge } from './automergeStrategy.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { applyCrdtChanges, crdtChangesOf, crdtStoredAt, FULL_EVERY } from './crdtChanges.js';
import { forgetLoadedDocs } from './liveDocs.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import type { CrdtStored } from './StoredValue.js';

type Notes = { items: string[] };
const notes = automerge<Notes>({ initial: { items: [] } });
const ctx = (name: string) => ({ writer: name, clock: new HybridLogicalClock(`node-${name}`) });
const push = (item: string) => (d: Notes) => { d.items.push(item); };
const write = (cur: CrdtStored | undefined, item: string, who = 'a') => applyWrite(notes, push(item), ctx(who), cur) as CrdtStored;
const fresh = (s: CrdtStored): CrdtStored => JSON.parse(JSON.stringify(s)) as CrdtStored;

describe('crdt changes in events', () => {
  it('carries the changes of one write, which rebuild the next version from the previous one', () => {
    let cur = write(undefined, 'first');
    for (let i = 0; i < 40; i++) cur = write(cur, `item ${i} `.padEnd(60, '.'));
    const next = write(cur, 'last');
    const delta = crdtChangesOf(next, cur);
    expect(delta.since.length).toBeGreaterThan(0);
    // The change of one push, not the document of 42 of them.
    expect(base64ToBytes(delta.changes).byteLength * 10).toBeLessThan(base64ToBytes(next.doc).byteLength);
    // A reader in another process holds `cur` as JSON (nothing loaded).
    forgetLoadedDocs();
    const rebuilt = applyCrdtChanges(fresh(cur), JSON.parse(JSON.stringify(delta)));
    expect(notes.read(rebuilt)).toEqual(notes.read(next));
  });

  it('is the whole document without a previous version, or when the next one does not contain it', () => {
    const a = write(undefined, 'a');
    expect(crdtChangesOf(a, undefined)).toMatchObject({ since: [], changes: a.doc });
    const other = write(undefined, 'b', 'b');
    const delta = crdtChangesOf(a, other);
    expect(delta.since).toEqual([]);
    expect(notes.read(applyCrdtChanges(undefined, delta))).toEqual({ items: ['a'] });
  });

  it('refuses changes for another version (MISSING_CHANGES) and bytes that are not changes or end elsewhere (CORRUPT_ENTRY)', () => {
    const v1 = write(undefined, '1');
    const v2 = write(v1, '2');
    const v3 = write(v2, '3');
    const delta = crdtChangesOf(v3, v2);
    expect(() => applyCrdtChanges(v1, delta)).toThrow(expect.objectContaining({ code: 'MISSING_CHANGES' }));
    expect(() => applyCrdtChanges(undefined, delta)).toThrow(expect.objectContaining({ code: 'MISSING_CHANGES' }));
    expect(() => applyCrdtChanges(v2, { ...delta, changes: bytesToBase64(new Uint8Array([1, 2, 3, 4])) })).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
    expect(() => applyCrdtChanges(v2, { ...delta, heads: ['00'.repeat(32)] })).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
  });

  it('keeps an older version valid after its loaded document moved on to a newer one', () => {
    const v1 = write(undefined, '1');
    const v2 = write(v1, '2');
    const v3 = write(v2, '3'); // took v2's document
    expect(notes.read(v2)).toEqual({ items: ['1', '2'] });
    // A branch from v2 (a writer that had not seen v3) merges with v3.
    const branch = write(v2, 'b', 'b');
    expect([...notes.read(notes.merge(v3, branch)).items].sort()).toEqual(['1', '2', '3', 'b']);
    expect(notes.read(crdtStoredAt(v3, crdtChangesOf(v2, v1).heads)!)).toEqual({ items: ['1', '2'] });
  });

  it('carries the whole document again every FULL_EVERY versions, so a reader without the start of the history finds it', () => {
    let cur = write(undefined, 'first');
    const events = [crdtChangesOf(cur, undefined)];
    for (let i = 0; i < 2 * FULL_EVERY + 5; i++) {
      const next = write(cur, `${i}`);
      events.push(crdtChangesOf(next, cur));
      cur = next;
    }
    const whole = events.flatMap((e, i) => (e.since.length === 0 ? [i] : []));
    expect(whole).toEqual([0, FULL_EVERY, 2 * FULL_EVERY]);
    // A reader that starts at the second whole document (the earlier events are gone) rebuilds the rest.
    forgetLoadedDocs();
    let held: CrdtStored | undefined;
    for (const e of events.slice(FULL_EVERY)) held = applyCrdtChanges(held, JSON.parse(JSON.stringify(e)));
    expect(notes.read(held!)).toEqual(notes.read(cur));
  });
});
