import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyWrite } from './applyWrite.js';
import { changeDoc, docHeads } from './automergeDoc.js';
import { automerge } from './automergeStrategy.js';
import { decodeDocBase64, encodeDoc } from './docCodec.js';
import { describeOutcome } from './describeOutcome.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import type { CrdtStored, StoredValue } from './StoredValue.js';

type Notes = { items: string[]; meta: Record<string, string> };
const notes = automerge<Notes>({ initial: { items: [], meta: {} } });

function writer(name: string, wall: number) {
  let t = wall;
  return { writer: name, clock: new HybridLogicalClock(`node-${name}`, () => (t += 1000)) };
}

describe('automerge strategy', () => {
  it('keeps every writer\'s list item and map key after concurrent writes, in any merge order', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (n, keys) => {
        const base = notes.prepare({ items: ['shared'], meta: {} }, writer('origin', 0), undefined);
        const writes = Array.from({ length: n }, (_, w) =>
          notes.prepare(
            (d: Notes) => {
              d.items.push(`from-${w}`);
              d.meta[`w${w}`] = 'here';
            },
            writer(`w${w}`, 100 * w),
            base,
          ),
        );
        const order = writes.map((v, i) => ({ v, k: keys[i] ?? 0 })).sort((a, b) => a.k - b.k).map((e) => e.v);
        const merged = order.reduce((acc, v) => notes.merge(acc, v));
        const content = notes.read(merged);
        expect([...content.items].sort()).toEqual(['shared', ...writes.map((_, w) => `from-${w}`)].sort());
        expect(Object.keys(content.meta).sort()).toEqual(writes.map((_, w) => `w${w}`).sort());
      }),
      { numRuns: 15 },
    );
  });

  it('shares the initial containers, so first writes from two writers both survive', () => {
    const a = notes.prepare((d: Notes) => void d.items.push('a'), writer('a', 0), undefined);
    const b = notes.prepare((d: Notes) => void d.items.push('b'), writer('b', 0), undefined);
    expect([...notes.read(notes.merge(a, b)).items].sort()).toEqual(['a', 'b']);
  });

  it('gives equal first content equal history, and turns a plain object into a minimal edit', () => {
    const plain = automerge<Notes>();
    const a = plain.prepare({ items: ['x'], meta: {} }, writer('a', 0), undefined) as CrdtStored;
    const b = plain.prepare({ items: ['x'], meta: {} }, writer('b', 5), undefined) as CrdtStored;
    expect(docHeads(decodeDocBase64(a.doc))).toEqual(docHeads(decodeDocBase64(b.doc)));
    // Two writers replace the whole object, each adding one item: both items survive.
    const fromA = plain.prepare({ items: ['x', 'a'], meta: {} }, writer('a', 10), a);
    const fromB = plain.prepare({ items: ['x', 'b'], meta: { k: 'v' } }, writer('b', 10), b);
    const merged = plain.read(plain.merge(fromA, fromB));
    expect([...merged.items].sort()).toEqual(['a', 'b', 'x']);
    expect(merged.meta).toEqual({ k: 'v' });
  });

  it('removes keys a plain-object write leaves out', () => {
    const current = notes.prepare({ items: [], meta: { a: '1', b: '2' } }, writer('a', 0), undefined);
    const next = notes.prepare({ items: [], meta: { b: '2' } }, writer('a', 0), current);
    expect(notes.read(next)).toEqual({ items: [], meta: { b: '2' } });
  });

  it('merges in a whole Automerge document or its saved bytes', () => {
    const base = notes.prepare({ items: ['kept'], meta: {} }, writer('a', 0), undefined) as CrdtStored;
    // An application edited the document it read, with Automerge directly...
    const edited = changeDoc(decodeDocBase64<Notes>(base.doc), (d) => void (d.meta['x'] = 'y'));
    // ...while another writer added an item: merging the edited document keeps both.
    const current = notes.prepare((d: Notes) => void d.items.push('other'), writer('b', 0), base);
    expect(notes.read(notes.prepare(edited, writer('c', 0), current))).toEqual({ items: ['kept', 'other'], meta: { x: 'y' } });
    expect(notes.read(notes.prepare(encodeDoc(edited), writer('c', 0), current))).toEqual({
      items: ['kept', 'other'],
      meta: { x: 'y' },
    });
  });

  it('prepares byte-identical documents under an injected clock', () => {
    const once = () => notes.prepare((d: Notes) => void d.items.push('z'), writer('w', 42), undefined) as CrdtStored;
    expect(once().doc).toBe(once().doc);
  });

  it('reports merges, containment and identity', () => {
    const base = notes.prepare({ items: [], meta: {} }, writer('o', 0), undefined);
    const a = notes.prepare((d: Notes) => void d.items.push('a'), writer('a', 0), base);
    const b = notes.prepare((d: Notes) => void d.items.push('b'), writer('b', 0), base);
    expect(describeOutcome(a, b, notes.merge(a, b))).toBe('merged');
    expect(describeOutcome(a, base, notes.merge(a, base))).toBe('kept-current');
    expect(describeOutcome(base, a, notes.merge(base, a))).toBe('took-incoming');
    expect(describeOutcome(a, a, notes.merge(a, a))).toBe('unchanged');
    expect(notes.merge(a, base)).toBe(a);
  });

  it('refuses inputs that cannot become a document', () => {
    for (const bad of [42, 'text', null, [1], { when: undefined }]) {
      expect(() => notes.prepare(bad, writer('w', 0), undefined)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('throws CORRUPT_ENTRY when a stored document is damaged', () => {
    const good = notes.prepare({ items: ['a'], meta: {} }, writer('w', 0), undefined) as CrdtStored;
    const broken: StoredValue = { s: 'crdt', doc: good.doc.slice(0, -8) + 'AAAAAAA=' };
    const notBase64: StoredValue = { s: 'crdt', doc: '***' };
    for (const bad of [broken, notBase64]) {
      expect(() => notes.read(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
      expect(() => notes.merge(good, bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
      expect(() => notes.parse(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
      expect(() => applyWrite(notes, { items: [], meta: {} }, writer('w', 0), bad)).toThrow(
        expect.objectContaining({ code: 'CORRUPT_ENTRY' }),
      );
    }
  });
});
