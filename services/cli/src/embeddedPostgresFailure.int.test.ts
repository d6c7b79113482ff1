import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, natsServersOn, runCli, tempDataDir, type CliRun } from './cliTestKit.test.js';

/** Asserts the run started the embedded nats-server, then stopped it and left no stack file. */
function expectNatsStartedThenStopped(run: CliRun, dataDir: string): void {
  expect(run.stdout).toMatch(/^nats-server ready at nats:\/\/127\.0\.0\.1:\d+$/m);
  expect(natsServersOn(join(dataDir, 'nats'))).toEqual([]);
  expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
}

describe('embedded PostgreSQL that cannot start fails fast, in one line, and stops the nats-server started before it (built CLI)', () => {
  // runCli fails the test when the CLI has not exited within 30 s: "within seconds", not a hang.
  it.runIf(process.getuid?.() === 0)('as root, a data folder under a 0700 folder: names the folder closed to the postgres user and the fix', async () => {
    using tmp = tempDataDir();
    const locked = join(tmp.path, 'home');
    mkdirSync(locked);
    chmodSync(locked, 0o700);
    const dataDir = join(locked, 'project', '.data');
    const run = await runCli(['up'], { MISTER_SMITH_DATA_DIR: dataDir, MISTER_SMITH_PROFILE: 'test' });
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(new RegExp(`^mister-smith: POSTGRES_UNAVAILABLE: embedded PostgreSQL cannot initialise ${dataDir}/postgres: the postgres user \\(uid \\d+\\), which PostgreSQL runs as under root, cannot reach ${dataDir}/postgres: ${locked} \\(mode 0700, owner uid 0\\) is closed to it; put the data \\(MISTER_SMITH_DATA_DIR\\) and the project in folders every user may enter .*, or set DATABASE_URL$`));
    expectNatsStartedThenStopped(run, dataDir);
  }, 60_000);

  it('missing PostgreSQL binaries: MISSING_BINARY names what is missing and how to get it', async () => {
    using tmp = tempDataDir();
    const binDir = join(tmp.path, 'no-postgres-here');
    const run = await runCli(['up'], { MISTER_SMITH_DATA_DIR: tmp.path, MISTER_SMITH_PROFILE: 'test', MISTER_SMITH_POSTGRES_BIN: binDir });
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toBe(`mister-smith: MISSING_BINARY: embedded PostgreSQL: ${binDir}/initdb and ${binDir}/postgres not found (MISTER_SMITH_POSTGRES_BIN=${binDir}): point MISTER_SMITH_POSTGRES_BIN at a folder holding initdb and postgres (PostgreSQL 15), unset it to use the npm package, or set DATABASE_URL to a PostgreSQL server`);
    expectNatsStartedThenStopped(run, tmp.path);
  }, 60_000);
});
