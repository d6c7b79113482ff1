import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatResults } from './formatResults.js';
import { BENCH_USAGE, parseBenchArgs } from './parseBenchArgs.js';
import { describeError, runBench } from './runBench.js';
import { sections } from './sections.js';
import { sweepRun } from './sweepRun.js';

// `pnpm bench`: runs every section, prints one table, writes bench-results.json.
// Names of everything this run creates start with its id, so leftovers are identifiable.
const runId = `bench${randomBytes(3).toString('hex')}`;
process.env.MS_TEST_RUN = runId;

const progress = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function cleanup(): Promise<void> {
  const swept = await sweepRun(runId);
  if (swept.streams.length + swept.databases.length > 0) progress(`removed leftovers: ${[...swept.streams, ...swept.databases].join(', ')}`);
}

let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) return;
  interrupted = true;
  progress(`${signal}: removing this run's streams and databases`);
  cleanup().then(() => process.exit(130), (e: unknown) => { progress(`cleanup failed: ${describeError(e)}`); process.exit(130); });
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) { process.stdout.write(`${BENCH_USAGE}\n`); return 0; }
  const out = args.out ?? fileURLToPath(new URL('../../../bench-results.json', import.meta.url));
  progress(`run ${runId}${args.quick ? ' (quick)' : ''}: sections ${args.only ?? sections.map((s) => s.name).join(', ')}`);
  try {
    const results = await runBench({ sections, quick: args.quick, ...(args.only !== undefined ? { only: args.only } : {}), progress });
    process.stdout.write(`\n${formatResults(results)}\n`);
    await writeFile(out, `${JSON.stringify({ runId, ...results }, null, 2)}\n`);
    progress(`results written to ${out}`);
    return results.sections.some((s) => s.error !== undefined) ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`bench failed: ${describeError(e)}\n`); process.exitCode = 1; },
).finally(() => {
  // Every connection is closed by now; if a section leaked a handle, do not hang the command.
  setTimeout(() => { progress('handles still open after cleanup (a section leaked one); exiting'); process.exit(process.exitCode ?? 1); }, 5000).unref();
});
