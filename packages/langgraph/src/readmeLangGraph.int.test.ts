/**
 * The README's LangGraph.js example, read from README.md's own text (the block after
 * `<!-- langgraph:example -->`) and run by plain `node` as a user would run it, against the
 * shared NATS and PostgreSQL, in this spec's namespace and database.
 */
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, runNodeModule, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { langGraphTopology } from './nats/langGraphTopology.js';
import { deprovisionLangGraph } from './nats/provisionLangGraph.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageDir = fileURLToPath(new URL('../', import.meta.url));

let env: TestEnv;
beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => {
  if (env) await deprovisionLangGraph(env.nats, langGraphTopology({ namespace: env.namespace }));
  await env?.close();
});

describe('README LangGraph.js example', () => {
  it('runs as written: interrupt and resume, history, a fork from an old checkpoint, memory read by another thread', async () => {
    const code = await readMarkedCodeBlock(`${root}README.md`, 'langgraph:example');
    expect(code).toContain('new StateGraph(State)');
    const run = await runNodeModule(code, { cwd: packageDir, env: env.childEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      "{ question: 'approve taxi?' }",
      "[ 'draft taxi', 'approved', 'remembered' ]",
      '(end) <- remember <- review <- draft <- __start__',
      "[ 'draft taxi', 'rejected', 'remembered' ]",
      "[ 'draft train (last time: limousine)' ]",
    ]);
    // Every checkpoint of both threads, the fork included, is in PostgreSQL.
    const { rows } = await env.pg.withClient((c) => c.query<{ thread_id: string; n: number }>(
      'SELECT thread_id, count(*)::int AS n FROM langgraph.checkpoints GROUP BY thread_id ORDER BY thread_id'));
    expect(rows.map((r) => r.thread_id)).toEqual(['alice: expense 41', 'alice: expense 42']);
    expect(rows[0]!.n).toBeGreaterThan(5);
  });
});
