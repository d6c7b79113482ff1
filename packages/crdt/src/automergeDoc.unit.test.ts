import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorIdFor } from './actorIdFor.js';
import { changeDoc, createDoc, docHeads, readDoc } from './automergeDoc.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { applyDocChanges, encodeDocChanges } from './docChanges.js';
import { decodeDoc, decodeDocBase64, encodeDoc, encodeDocBase64 } from './docCodec.js';
import { docContains, mergeDocs, mergeEncodedDocs } from './mergeDocs.js';

type Todo = { items: string[]; done: Record<string, boolean> };

describe('createDoc / changeDoc / readDoc', () => {
  it('creates a document and edits it like immer, leaving the input usable', () => {
    const doc = createDoc<Todo>({ items: ['a'], done: {} });
    const next = changeDoc(doc, (d) => {
      d.items.push('b');
      d.done['a'] = true;
    });
    const branch = changeDoc(doc, (d) => {
      d.items.push('c');
    });
    expect(readDoc(next)).toEqual({ items: ['a', 'b'], done: { a: true } });
    expect(readDoc(branch)).toEqual({ items: ['a', 'c'], done: {} });
    expect(readDoc(doc)).toEqual({ items: ['a'], done: {} });
  });

  it('accepts a recipe that returns the new content', () => {
    const doc = createDoc<Todo>({ items: ['a', 'b', 'c'], done: { a: false } });
    const next = changeDoc(doc, () => ({ items: ['a', 'x', 'c'], done: {} }));
    expect(readDoc(next)).toEqual({ items: ['a', 'x', 'c'], done: {} });
  });

  it('refuses content Automerge cannot hold and bad actor ids', () => {
    expect(() => createDoc({ bad: undefined })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createDoc([] as unknown as Record<string, unknown>)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createDoc({}, 'agent-1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('is deterministic given an actor and a time', () => {
    const a = createDoc({ x: 1 }, { actor: 'abcd', time: 10 });
    const b = createDoc({ x: 1 }, { actor: 'abcd', time: 10 });
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
  });
});

describe('encodeDoc / decodeDoc', () => {
  const contentArb = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 4 }),
    fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })),
    { maxKeys: 4 },
  );

  it('round-trips content and history, in binary and base64', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(contentArb, (content) => {
        const doc = createDoc(content);
        expect(readDoc(decodeDoc(encodeDoc(doc)))).toEqual(content);
        const back = decodeDocBase64(encodeDocBase64(doc));
        expect(docHeads(back)).toEqual(docHeads(doc));
      }),
      { numRuns: 50 },
    );
  });

  it('throws CORRUPT_ENTRY for empty, truncated, flipped or random bytes', { timeout: 60_000 }, () => {
    const bytes = encodeDoc(createDoc({ list: [1, 2, 3], text: 'hello' }));
    const flipped = bytes.slice();
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 0xff;
    for (const bad of [new Uint8Array(0), bytes.slice(0, bytes.length - 2), flipped, new Uint8Array([1, 2, 3])]) {
      expect(() => decodeDoc(bad)).toThrow(expect.objectContaining({ name: 'CrdtError', code: 'CORRUPT_ENTRY' }));
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (random) => {
        expect(() => decodeDoc(random)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
      }),
    );
  });

  it('throws CORRUPT_ENTRY for text that is not base64', () => {
    for (const bad of ['%%%', 'abc', 'QQ=', 'QR==', ' QQ==', '']) {
      expect(() => decodeDocBase64(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
    }
  });
});

describe('base64', () => {
  it('round-trips arbitrary bytes, including views into larger buffers', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.nat(4), (bytes, offset) => {
        const padded = new Uint8Array(bytes.length + offset);
        padded.set(bytes, offset);
        expect([...base64ToBytes(bytesToBase64(padded.subarray(offset)))]).toEqual([...bytes]);
      }),
    );
  });
});

describe('mergeDocs', () => {
  const base = createDoc<Todo>({ items: [], done: {} });

  it('keeps every writer\'s list items and map keys, in any merge order', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.boolean(), (writers, reverse) => {
        const docs = Array.from({ length: writers }, (_, w) =>
          changeDoc(base, (d) => {
            d.items.push(`item-${w}`);
            d.done[`w${w}`] = true;
          }),
        );
        const ordered = reverse ? [...docs].reverse() : docs;
        const merged = ordered.reduce((acc, doc) => mergeDocs(acc, doc));
        const content = readDoc(merged);
        expect([...content.items].sort()).toEqual(docs.map((_, w) => `item-${w}`).sort());
        expect(Object.keys(content.done).sort()).toEqual(docs.map((_, w) => `w${w}`).sort());
        expect(docHeads(merged)).toEqual(docHeads(docs.reduce((acc, doc) => mergeDocs(doc, acc))));
      }),
      { numRuns: 20 },
    );
  });

  it('does not retire its inputs and returns a containing input as is', () => {
    const a = changeDoc(base, (d) => void d.items.push('a'));
    const b = changeDoc(base, (d) => void d.items.push('b'));
    mergeDocs(a, b);
    expect(readDoc(changeDoc(a, (d) => void d.items.push('again'))).items).toEqual(['a', 'again']);
    expect(mergeDocs(a, base)).toBe(a);
    expect(mergeDocs(base, a)).toBe(a);
    expect(docContains(mergeDocs(a, b), b)).toBe(true);
  });

  it('merges saved documents', () => {
    const a = changeDoc(base, (d) => void d.items.push('a'));
    const b = changeDoc(base, (d) => void d.items.push('b'));
    const merged = decodeDoc<Todo>(mergeEncodedDocs(encodeDoc(a), encodeDoc(b)));
    expect([...readDoc(merged).items].sort()).toEqual(['a', 'b']);
    expect(() => mergeEncodedDocs(encodeDoc(a), new Uint8Array([0]))).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
  });

  it('fails with MERGE_FAILED when two different changes reuse one actor and sequence number', () => {
    const actor = 'aaaa';
    const x = changeDoc(base, (d) => void d.items.push('x'), actor);
    const y = changeDoc(base, (d) => void d.items.push('y'), actor);
    expect(() => mergeDocs(x, y)).toThrow(expect.objectContaining({ code: 'MERGE_FAILED' }));
  });
});

describe('encodeDocChanges / applyDocChanges', () => {
  it('carries only the new changes and rebuilds the later document', () => {
    const before = createDoc<Todo>({ items: Array.from({ length: 50 }, (_, i) => `item-${i}`), done: {} });
    const after = changeDoc(before, (d) => void d.items.push('new'));
    const delta = encodeDocChanges(after, docHeads(before));
    expect(delta.byteLength).toBeLessThan(encodeDoc(after).byteLength / 2);
    const rebuilt = applyDocChanges(before, delta);
    expect(docHeads(rebuilt)).toEqual(docHeads(after));
    expect(readDoc(rebuilt)).toEqual(readDoc(after));
    expect(docHeads(applyDocChanges(createDoc({}), encodeDocChanges(after)))).toContain(docHeads(after)[0]);
  });

  it('reports changes encoded against another base and bad bytes', () => {
    const base = createDoc<Todo>({ items: [], done: {} });
    const one = changeDoc(base, (d) => void d.items.push('1'));
    const two = changeDoc(one, (d) => void d.items.push('2'));
    expect(() => applyDocChanges(base, encodeDocChanges(two, docHeads(one)))).toThrow(
      expect.objectContaining({ code: 'MISSING_CHANGES' }),
    );
    expect(() => applyDocChanges(base, new Uint8Array([7, 7, 7]))).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
    expect(() => encodeDocChanges(base, docHeads(two))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('actorIdFor', () => {
  it('is deterministic, hex, and distinct per writer, node and stamp', () => {
    const hlc = { wall: 1_700_000_000_000, counter: 3, node: 'n1' };
    const id = actorIdFor('agent-1', hlc);
    expect(id).toMatch(/^[0-9a-f]{38}$/);
    expect(actorIdFor('agent-1', hlc)).toBe(id);
    expect(actorIdFor('agent-2', hlc)).not.toBe(id);
    expect(actorIdFor('agent-1', { ...hlc, node: 'n2' })).not.toBe(id);
    expect(actorIdFor('agent-1', { ...hlc, counter: 4 })).not.toBe(id);
    expect(() => actorIdFor('', hlc)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
