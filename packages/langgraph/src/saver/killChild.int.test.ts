/**
 * Invariant 1 for LangGraph: a checkpoint whose put was acknowledged survives a kill -9 of the
 * graph's process, even when PostgreSQL had not received it yet (here its table is locked, so the
 * group commit is stuck): the next saver to start replays it from the stream.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { deprovisionLangGraph } from '../nats/provisionLangGraph.js';
import { MisterSmithSaver } from './MisterSmithSaver.js';

const child = fileURLToPath(new URL('../testing/graphChild.mjs', import.meta.url));
let env: TestEnv;
beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => { await env?.close(); });

describe('kill -9 of a LangGraph process', () => {
  it('loses no acknowledged checkpoint: after the restart every acked checkpoint is listed and the latest is the head', async () => {
    const saver = await MisterSmithSaver.open({ nats: env.nats, pg: env.pg, namespace: env.namespace, profile: 'test' });
    const threadId = 'kill -9 / thread';
    const lock = await env.pg.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE langgraph.checkpoints IN EXCLUSIVE MODE');
      const proc = spawn(process.execPath, [child], { env: { ...process.env, ...env.childEnv(), THREAD_ID: threadId, STOP_AT: '6' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const acked: string[] = [];
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        let blocked = false;
        proc.stdout.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.startsWith('ACK ')) acked.push(line.slice(4));
            if (line === 'BLOCKED') blocked = true;
          }
          // Blocked in superstep 6: the checkpoints up to the one before it are acknowledged (or in flight).
          if (blocked && acked.length >= 5) { proc.kill('SIGKILL'); resolve(); }
        });
        void exited.then(() => reject(new Error(`child exited early: ${stderr}`)));
      });
      await exited;
      // Nothing reached PostgreSQL: the group commit was stuck behind the lock when the process died.
      const { rows } = await env.pg.withClient((c) => c.query<{ n: number }>('SELECT count(*)::int AS n FROM langgraph.checkpoints WHERE thread_id = $1', [threadId]));
      expect(rows[0]!.n).toBe(0);
      await lock.query('COMMIT');

      const restarted = await MisterSmithSaver.open({ nats: await env.connect(), pg: env.pg, namespace: env.namespace, profile: 'test' });
      expect(restarted.lastRecovery?.replayed).toBeGreaterThanOrEqual(acked.length);
      const listed: string[] = [];
      for await (const t of restarted.list({ configurable: { thread_id: threadId } })) listed.push(t.config.configurable!.checkpoint_id as string);
      expect(listed).toEqual(expect.arrayContaining(acked));
      const head = await restarted.getTuple({ configurable: { thread_id: threadId } });
      expect(head?.config.configurable?.checkpoint_id).toBe([...listed].sort().at(-1));
      expect(head!.checkpoint.channel_values.n).toBeGreaterThanOrEqual(acked.length - 2);
      await restarted.close();
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined); // after the COMMIT above: a no-op
      lock.release();
      await saver.close();
      await deprovisionLangGraph(env.nats, saver.topology);
    }
  });
});
