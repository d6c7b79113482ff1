#!/usr/bin/env node
import { Command, Option } from 'commander';
import { MisterSmithError } from '@mister-smith/core';
import { up } from './commands/up.js';

const program = new Command('mister-smith')
  .description('Mister Smith: the state layer of an AI agent framework (NATS JetStream + PostgreSQL)')
  .showHelpAfterError();

program.command('up')
  .description('run supervisor, projector and bridge in one process (embedded NATS and PostgreSQL when NATS_URL / DATABASE_URL are unset)')
  .option('--demo', 'also run a small fleet of example agents')
  .addOption(new Option('--duration <seconds>', 'stop after this many seconds').argParser((v) => { const n = Number(v); if (!(n > 0)) throw new Error('--duration must be a positive number'); return n; }))
  .option('--json', 'machine-readable output')
  .addHelpText('after', '\nExample:\n  $ mister-smith up --demo')
  .action(async (opts: { demo?: boolean; duration?: number; json?: boolean }) => {
    await up(opts, (line) => console.log(opts.json ? JSON.stringify({ message: line }) : line));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = MisterSmithError.is(e) ? `${e.code}: ${e.message}` : (e as Error)?.message ?? String(e);
  console.error(`mister-smith: ${msg}`);
  process.exitCode = 1;
});
