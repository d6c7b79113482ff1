import { describe, expect, it } from 'vitest';
import { retentionHeadroom } from './retentionHeadroom.js';

describe('retentionHeadroom', () => {
  const base = { maxAgeMs: 1_800_000, maxMsgs: 0, oldestUnprojectedAgeMs: 0, lag: 0, lost: false };
  it('is the whole margin when caught up', () => {
    expect(retentionHeadroom(base)).toEqual({ seconds: 1800, ratio: 1, warn: false });
  });
  it('warns once the oldest unprojected event is past half the stream max_age', () => {
    expect(retentionHeadroom({ ...base, oldestUnprojectedAgeMs: 600_000, lag: 5 })).toMatchObject({ seconds: 1200, warn: false });
    expect(retentionHeadroom({ ...base, oldestUnprojectedAgeMs: 1_000_000, lag: 5 })).toMatchObject({ seconds: 800, warn: true });
  });
  it('takes the smaller of the age and message-count margins; events already lost leave none', () => {
    expect(retentionHeadroom({ ...base, maxMsgs: 100, lag: 60 })).toMatchObject({ ratio: 0.4, warn: true });
    expect(retentionHeadroom({ ...base, maxAgeMs: 0, maxMsgs: 0, lag: 10 })).toEqual({ ratio: 1, warn: false });
    expect(retentionHeadroom({ ...base, lost: true })).toEqual({ seconds: 0, ratio: 0, warn: true });
  });
});
