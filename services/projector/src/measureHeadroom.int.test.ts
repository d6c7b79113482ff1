import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { measureHeadroom } from './measureHeadroom.js';

describe('measureHeadroom (the projector metric and doctor judge with it)', () => {
  it('warns when the unprojected events pass half of max_msgs or the oldest of them half of max_age, and reports a loss', async () => {
    await using env = await startTestEnv();
    const stream = `HEADROOM_${env.namespace}`;
    const subject = `headroom.${env.namespace}`;
    await env.nats.jsm.streams.add({ name: stream, subjects: [subject], max_msgs: 10, max_age: 3_000 * 1e6 });
    try {
      for (let i = 0; i < 6; i++) await env.nats.js.publish(subject, `e${i}`);
      const at = (checkpoint: number, firstSeq = 1) => ({ stream, lag: 6 - checkpoint, checkpoint: { seq: checkpoint }, streamFirstSeq: firstSeq });

      // 2 of 10 behind, just written: most of both margins left.
      const fresh = await measureHeadroom(env.nats, at(4));
      expect(fresh.limits).toEqual({ maxAgeMs: 3_000, maxMsgs: 10 });
      expect(fresh.headroom).toMatchObject({ warn: false, ratio: expect.closeTo(0.8, 1) });
      expect(fresh.oldestUnprojectedAgeMs).toBeLessThan(1_500);

      // 6 of 10 behind: under half of the message margin.
      expect((await measureHeadroom(env.nats, at(0))).headroom).toMatchObject({ warn: true, ratio: expect.closeTo(0.4, 5) });

      // 2 behind, but the oldest of them is now past half of max_age.
      await new Promise((r) => setTimeout(r, 1_700));
      const aged = await measureHeadroom(env.nats, at(4));
      expect(aged.oldestUnprojectedAgeMs).toBeGreaterThan(1_500);
      expect(aged.headroom.warn).toBe(true);
      expect(aged.headroom.seconds!).toBeLessThan(1.5);

      // Events the stream dropped before the projection read them: no margin left.
      expect((await measureHeadroom(env.nats, at(0, 3))).headroom).toMatchObject({ ratio: 0, warn: true });
    } finally {
      await env.nats.jsm.streams.delete(stream);
    }
  });
});
