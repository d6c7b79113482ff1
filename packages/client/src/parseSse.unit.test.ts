import { describe, expect, it } from 'vitest';
import { createSseParser } from './parseSse.js';
import { formatCursor, parseCursor } from './protocol.js';

describe('createSseParser', () => {
  it('yields complete events across arbitrary chunk boundaries, drops comments, keeps ids', () => {
    const text = ': connected\n\nid: 1:2:3\nevent: change\ndata: {"a":1}\n\nevent: snapshot\r\ndata: line1\r\ndata: line2\r\n\r\n: ping\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = createSseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(got).toEqual([
        { event: 'change', data: '{"a":1}', id: '1:2:3' },
        { event: 'snapshot', data: 'line1\nline2', id: undefined },
      ]);
    }
  });
});

describe('cursors', () => {
  it('round-trip, and anything else is not one', () => {
    expect(parseCursor(formatCursor({ epoch: 1700000000000, stateSeq: 5, lifecycleSeq: 0 }))).toEqual({ epoch: 1700000000000, stateSeq: 5, lifecycleSeq: 0 });
    for (const bad of ['', '1:2', 'a:b:c', '1:2:3:4', '-1:2:3']) expect(parseCursor(bad)).toBeUndefined();
  });
});
