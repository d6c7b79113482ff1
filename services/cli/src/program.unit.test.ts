import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './program.js';

async function run(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'mister-smith', ...args], { writeOut: (t) => { out += t; }, writeErr: (t) => { err += t; } });
  return { code, out, err };
}

/** Every leaf command, for --help. */
const COMMANDS: readonly (readonly string[])[] = [
  ['up'], ['supervisor'], ['projector'], ['bridge'], ['migrate'],
  ['agents', 'spawn'], ['agents', 'list'], ['agents', 'get'], ['agents', 'set'], ['agents', 'command'], ['agents', 'stop'], ['agents', 'history'],
  ['events', 'tail'], ['projections', 'status'], ['projections', 'rebuild'], ['kv', 'get'], ['kv', 'watch'], ['streams'], ['doctor'],
  ['kv', 'ls'], ['kv', 'put'], ['kv', 'del'], ['tasks', 'list'], ['tasks', 'get'], ['tasks', 'cancel'], ['sql'], ['env'],
];

/** Bad usage of every command: refused by the parser, before anything connects. */
const USAGE: readonly (readonly string[])[] = [
  ['frobnicate'],
  ['up', '--duration', '-1'], ['up', '--metrics-port', '99999'], ['up', '--bogus'],
  ['supervisor', '--duration', 'soon'], ['projector', '--status-interval', '0'], ['bridge', 'extra-argument'],
  ['migrate', '--all'],
  ['agents', 'spawn'], ['agents', 'spawn', '--type', 'counter', '--count', '0'], ['agents', 'spawn', '--type', 'counter', '--count', '1.5'],
  ['agents', 'list', '--state', 'hot'], ['agents', 'list', '--limit', 'many'],
  ['agents', 'get'], ['agents', 'get', 'a', 'b', 'c'],
  ['agents', 'set', 'a1', 'k'], ['agents', 'set', 'a1', 'k', 'not-json'], ['agents', 'set', 'a1', 'k', '1', '--strategy', 'newest'],
  ['agents', 'set', 'a1', 'k', '1', '--traceparent', 'abc'], ['agents', 'set', 'a1', 'k', '1', '--traceparent', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
  ['agents', 'command', 'a1'], ['agents', 'command', 'a1', 'increment', 'not-json'],
  ['agents', 'stop'], ['agents', 'history'],
  ['events', 'tail', '--from', 'yesterday'], ['events', 'tail', '--from', '0'], ['events', 'tail', '--limit', '-3'],
  ['projections', 'rebuild', 'a', 'b'], ['projections', 'status', '--all'],
  ['kv', 'get', 'agent-state'], ['kv', 'watch', 'agent-state', 'k', '--limit', '0'], ['kv', 'put', 'a', 'b'],
  ['streams', 'now'], ['doctor', '--fix'],
  // Groups without (or with an unknown) subcommand, values given twice or not at all, bad options of the newer commands.
  ['agents'], ['events'], ['projections'], ['kv'], ['tasks'], ['agents', 'frob'], ['kv', 'frob'],
  ['agents', 'set', 'a1', 'k', '1', '--file', 'v.json'], ['kv', 'put', 'session', 'k'], ['kv', 'put', 'session', 'k', 'v', '--file', '-'],
  ['agents', 'history', 'a1', '--limit', '0'], ['agents', 'history', 'a1', '--from', 'yesterday'],
  ['tasks', 'list', '--status', 'done'], ['tasks', 'get'], ['tasks', 'cancel'], ['kv', 'del', 'session'], ['env', 'extra'],
];

describe('mister-smith command line parsing', () => {
  it.each(USAGE.map((a) => [a.join(' '), a] as const))('refuses "%s" with one line and exit 2', async (_name, args) => {
    const { code, out, err } = await run(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(/^mister-smith: USAGE: .+ \(see --help\)\n$/);
  });

  it.each(COMMANDS.map((a) => [a.join(' '), a] as const))('"%s --help" shows --json and an example, exit 0', async (_name, args) => {
    const { code, out, err } = await run([...args, '--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('--json');
    expect(out).toMatch(/\nExample:\n {2}((NATS_URL|DATABASE_URL)=\S+ )*mister-smith /);
  });

  it('prints the version of services/cli/package.json with --version and -V, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) expect(await run([flag])).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('shows the connection rules in the top-level help', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('stack.json');
    for (const c of ['up', 'supervisor', 'projector', 'bridge', 'migrate', 'agents', 'events', 'projections', 'kv', 'tasks', 'sql', 'env', 'streams', 'doctor']) expect(out).toMatch(new RegExp(`\\n  ${c} `));
  });
});
