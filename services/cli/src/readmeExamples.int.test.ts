/**
 * The programmatic examples of services/cli/README.md ("Programmatic API"), read from the README's
 * own text (the code blocks after `<!-- cli-api:... -->`), joined in order into one module as a
 * reader would paste them, compiled from TypeScript (`await using`) and run by plain `node` from
 * this package's folder. The snippets read NATS_URL / DATABASE_URL from the environment, which
 * points at this spec's namespace and database.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { readMarkedCodeBlock, runNodeModule, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const BLOCKS = ['cli-api:stack', 'cli-api:supervisor', 'cli-api:subscribe', 'cli-api:rebuild', 'cli-api:functions'];

let env: TestEnv;
beforeAll(async () => { env = await startTestEnv(); });
afterAll(async () => { await env?.close(); });

describe('README programmatic examples', () => {
  it('startLocalStack, createSupervisor, subscribe, rebuildProjection and the CLI functions run as written in the README', async () => {
    const blocks = await Promise.all(BLOCKS.map((m) => readMarkedCodeBlock(`${packageDir}README.md`, m)));
    const source = blocks.join('\n');
    const { outputText, diagnostics } = ts.transpileModule(source, {
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    expect(diagnostics ?? []).toEqual([]);
    // The data directory of a developer's shell must not leak into the snippets' embedded defaults.
    const run = await runNodeModule(outputText, { cwd: packageDir, env: { ...env.childEnv(), MISTER_SMITH_DATA_DIR: undefined } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    // startLocalStack: the namespace was provisioned and migrated already (by this spec).
    expect(lines[0]).toBe('0 created; 0 migrations applied');
    // createSupervisor: the increment's reply.
    expect(lines[1]).toBe('2');
    // subscribe: the agent's stored events, by sequence and type.
    expect(lines).toContainEqual(expect.stringMatching(/^\d+ StateChanged$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\d+ AgentLifecycleChanged$/));
    // rebuildProjection: progress through the swap, then the report.
    expect(lines).toContainEqual(expect.stringMatching(/^swap \d+\/\d+ events/));
    expect(lines).toContainEqual(expect.stringMatching(/^rebuilt agent-state: [1-9]\d* events, checkpoint \d+$/));
    // The CLI function: the entry as the README shows it.
    expect(run.stdout).toMatch(/agentId: 'readme-counter',\s+key: 'count',\s+value: 2/);
    // What the snippets did is in the stores.
    const row = await env.pg.db.selectFrom('agents.state').select(['state_value']).where('agent_id', '=', 'readme-counter').where('state_key', '=', 'count').executeTakeFirst();
    expect(row?.state_value).toBe(2);
  });
});
