import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDataDir } from './cliTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

// Usage errors of every command are covered in-process by program.unit.test.ts; here the built
// binary shows the same behaviour end to end, and what only a running command can refuse.

/** Bad values that pass the parser and are refused by the command (exit 1). */
const BAD_INPUT: readonly (readonly [readonly string[], RegExp])[] = [
  [['agents', 'get', 'bad id'], /^mister-smith: INVALID_ID: invalid agent id "bad id"/],
  [['agents', 'set', 'a1', '_reserved', '1'], /^mister-smith: INVALID_KEY: .*reserved/],
  [['agents', 'spawn', '--type', 'counter', '--id', 'bad id'], /^mister-smith: INVALID_ID/],
  [['events', 'tail', '--subject', 'agents.state.>', '--subject', 'tasks.>'], /^mister-smith: INVALID_ARGUMENT: .*one stream/],
  [['projections', 'rebuild', 'nope'], /^mister-smith: UNKNOWN_PROJECTION: no projection named "nope"/],
  [['kv', 'get', 'no-such-bucket', 'k'], /^mister-smith: NOT_FOUND: KV bucket no-such-bucket does not exist/],
  [['agents', 'list'], /^mister-smith: NOT_RUNNING: no supervisor is running in namespace \w+ \(nobody answers \w+\.mister-smith\.supervisor\.list\): start one with "mister-smith up" or "mister-smith supervisor"$/],
];

/** Commands that connect, run against servers that are not there. */
const CONNECTING: readonly (readonly string[])[] = [
  ['migrate'], ['agents', 'set', 'a1', 'k', '1'], ['events', 'tail', '--from', 'start'], ['kv', 'watch', 'session', 'k'], ['up', '--duration', '1'],
];

describe('the built CLI: bad input and unreachable servers give one line on stderr and a non-zero exit', () => {
  it('refuses bad usage (exit 2) and bad values (exit 1) with a one-line, typed error', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const [usage, ...runs] = await mapLimit([[['agents', 'set', 'a1', 'k', 'not-json'], /^mister-smith: USAGE: .*expected JSON/] as const, ...BAD_INPUT], 3, ([args]) => runCli(args, e));
    expect(expectOneLineError(usage!)).toMatch(/^mister-smith: USAGE: .*expected JSON/);
    expect(usage!.code).toBe(2);
    runs.forEach((run, i) => {
      const [args, re] = BAD_INPUT[i]!;
      expect(expectOneLineError(run), args.join(' ')).toMatch(re);
      expect(run.code, args.join(' ')).toBe(1);
    });
  }, 180_000);

  it('says in one line when NATS or PostgreSQL cannot be reached, or PostgreSQL is not configured', async () => {
    using data = tempDataDir();
    const noNats = { MISTER_SMITH_DATA_DIR: data.path, NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
    const natsOk = process.env.MS_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
    const [doctorRun, pgDown, pgUnset, badConfig, ...runs] = await mapLimit([
      [['doctor'], noNats],
      [['agents', 'get', 'a1'], { ...noNats, NATS_URL: natsOk }],
      [['projections', 'status'], { MISTER_SMITH_DATA_DIR: data.path, NATS_URL: natsOk }],
      [['streams'], { MISTER_SMITH_DATA_DIR: data.path, NATS_URL: natsOk, MISTER_SMITH_PROFILE: 'fast' }],
      ...CONNECTING.map((args) => [args, noNats] as const),
    ] as const, 3, ([args, env]) => runCli(args, env));
    runs.forEach((run, i) => {
      expect(expectOneLineError(run), CONNECTING[i]!.join(' ')).toMatch(/^mister-smith: NATS_UNAVAILABLE: cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
      expect(run.code).toBe(1);
    });
    expect(expectOneLineError(pgDown!)).toMatch(/^mister-smith: POSTGRES_UNAVAILABLE: cannot reach PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/none/);
    expect(expectOneLineError(pgUnset!)).toMatch(/^mister-smith: INVALID_CONFIG: DATABASE_URL is not set and no running "mister-smith up" was found/);
    expect(expectOneLineError(doctorRun!)).toBe('mister-smith: CHECK_FAILED: nats, postgres failed (see the report above)');
    expect(doctorRun!.stdout).toMatch(/^FAIL nats: NATS_UNAVAILABLE/m);
    expect(doctorRun!.stdout).toMatch(/^FAIL postgres: POSTGRES_UNAVAILABLE/m);
    expect(doctorRun!.stdout).toMatch(/^ {5}fix: /m);
    expect(expectOneLineError(badConfig!)).toMatch(/^mister-smith: INVALID_CONFIG: MISTER_SMITH_PROFILE must be/);
  }, 180_000);
});
