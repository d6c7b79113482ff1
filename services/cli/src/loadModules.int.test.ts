/**
 * `--load <module>` / MISTER_SMITH_LOAD: the user's module is imported before the command runs, so
 * its upcasters apply to the CLI's read paths and its `agentTypes` run in the CLI's supervisor.
 * The module lives outside the workspace (a temporary folder) and imports the packages by path.
 */
import { createEvent, type StateChangedData } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

// The built entry (as a user's module would import it), not the `source` one vitest resolves to.
const url = (pkg: string) => new URL(`../../../packages/${pkg.slice('@mister-smith/'.length)}/dist/index.js`, import.meta.url).href;

const MODULE = `
import { registerUpcaster } from '${url('@mister-smith/core')}';
import { defineAgentType } from '${url('@mister-smith/actors')}';
registerUpcaster({ type: 'StateChanged', fromVersion: 1,
  upcast: (d) => (d.value && typeof d.value === 'object' && 'tempF' in d.value ? { ...d, value: { tempC: Math.round((d.value.tempF - 32) * 5 / 9) } } : d) });
export const agentTypes = [defineAgentType({
  name: 'thermostat', initialState: { setC: 20 },
  commands: { set(draft, payload) { draft.setC = Number(payload.c); return { setC: draft.setC }; } },
})];
`;

describe('mister-smith --load (built CLI, real servers)', () => {
  it('applies the loaded upcasters to history reads and runs the loaded agent types in the supervisor; a bad module is one typed line', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const file = join(data.path, 'thermo.mjs');
    writeFileSync(file, MODULE);
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    await env.logs.agentState.append(createEvent({
      type: 'StateChanged', subject: 'agents.state.th-1', agentId: 'th-1', schemaVersion: 1,
      data: { key: 'temp', op: 'put', value: { tempF: 212 }, stored: null, strategy: 'lww', writer: 'legacy' } satisfies StateChangedData,
    }));

    // History of an event written at schema version 1: as stored without the module, upcast with it.
    const history = (...load: string[]) => runCli([...load, 'agents', 'history', 'th-1', 'temp', '--from', 'start', '--json'], e);
    const plain = await history();
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('"tempF":212');
    const loaded = await history('--load', file);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toContain('"tempC":100');
    expect(loaded.stdout).not.toContain('tempF');
    // The same through the environment.
    expect((await runCli(['agents', 'history', 'th-1', 'temp', '--from', 'start', '--json'], { ...e, MISTER_SMITH_LOAD: file })).stdout).toContain('"tempC":100');

    // The supervisor runs the module's agent type beside the built-in ones.
    const supervisor = startCli(['supervisor', '--status-interval', '60', '--load', file], e);
    await supervisor.waitForLine(/^supervisor: ready/, 60_000);
    expect((await runCli(['agents', 'spawn', '--type', 'thermostat', '--id', 'th-2'], e)).code).toBe(0);
    const reply = await runCli(['agents', 'command', 'th-2', 'set', '{"c":23}', '--json'], e);
    expect(reply.code).toBe(0);
    expect(reply.stdout).toContain('"setC":23');
    expect((await runCli(['agents', 'spawn', '--type', 'counter', '--id', 'c-1'], e)).code).toBe(0);
    supervisor.kill('SIGTERM');
    expect((await supervisor.exit()).code).toBe(0);

    // Modules that cannot be used: one line each, typed.
    const missing = await runCli(['--load', './nope.mjs', 'agents', 'list'], e);
    expect(expectOneLineError(missing)).toMatch(/^mister-smith: LOAD_FAILED: --load \.\/nope\.mjs: /);
    const throwing = join(data.path, 'throws.mjs');
    writeFileSync(throwing, "throw new Error('broken module');\n");
    expect(expectOneLineError(await runCli(['--load', throwing, 'agents', 'list'], e))).toBe(`mister-smith: LOAD_FAILED: --load ${throwing}: broken module`);
    const wrong = join(data.path, 'wrong.mjs');
    writeFileSync(wrong, 'export const agentTypes = [{ name: 1 }];\n');
    expect(expectOneLineError(await runCli(['--load', wrong, 'agents', 'list'], e))).toMatch(/^mister-smith: INVALID_ARGUMENT: --load .*wrong\.mjs: "agentTypes" must be an array of agent types/);
  }, 120_000);
});
