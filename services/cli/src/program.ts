import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { CliError } from './cli/CliError.js';
import { exitCodeOf, formatError } from './cli/formatError.js';
import { family, jsonValue, lifecycleState, port, positiveInt, positiveSeconds, startAt, strategy, taskStatus, traceparent } from './cli/parsers.js';
import { BUCKET_ALIASES } from './connection/resolveBucket.js';
import { loadModules, type LoadedModules } from './cli/loadModules.js';
import { addRuntimeCommands } from './runtimeCommands.js';

const ENV_HELP = `
Connection (environment):
  NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, MISTER_SMITH_PROFILE, MISTER_SMITH_DATA_DIR,
  NATS_USER / NATS_PASSWORD / NATS_TOKEN / NATS_CREDS / NATS_NKEY_SEED, NATS_TLS_*, METRICS_PORT, LOG_LEVEL.
  "up" and the roles start embedded nats-server / PostgreSQL when NATS_URL / DATABASE_URL are unset
  and record them in <MISTER_SMITH_DATA_DIR>/stack.json; every other command connects to NATS_URL,
  else that running stack, else nats://127.0.0.1:4222, and to DATABASE_URL, else that running stack.`;

/** Adds `--json` and a help example to a leaf command. */
function leaf(cmd: Command, example: string): Command {
  return cmd
    .option('--json', 'machine-readable output (JSON; one object per line for streams)')
    .addHelpText('after', `\nExample:\n  ${example.split('\n').join('\n  ')}`);
}

/** The CLI's version (services/cli/package.json). */
export const CLI_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * A command that only groups subcommands: run alone, or with an unknown subcommand, it is a usage
 * error (one line, exit 2) naming the subcommands, like every other usage error.
 */
function group(parent: Command, name: string, description: string): Command {
  // Arguments, not allowExcessArguments(true): that setting would pass on to the subcommands.
  const cmd = parent.command(name).description(description).argument('[command]', 'one of the commands below').argument('[args...]', "the command's arguments").usage('<command> [arguments] [options]');
  return cmd.action(function (this: Command, sub: string | undefined) {
    const subs = this.commands.map((c) => c.name()).join(', ');
    throw new CliError('USAGE', `${sub === undefined ? `"${name}" needs a subcommand` : `unknown command "${name} ${sub}"`}: ${subs} (see --help)`);
  });
}

/** Wraps an action; each action imports its command module lazily, so `--help` and usage errors stay fast. */
const lazy = <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) => async (...args: A) => { await fn(...args); };

/** Where the CLI writes help, usage errors and failures (process stdout/stderr by default). */
export interface CliIo {
  readonly writeOut?: (text: string) => void;
  readonly writeErr?: (text: string) => void;
}

/**
 * Builds the `mister-smith` command tree (commander). Every leaf takes `--json`; usage errors are
 * reported as one line on stderr.
 */
export function createProgram(io: CliIo = {}, status: { exitCode: number } = { exitCode: 0 }): Command {
  const program = new Command('mister-smith')
    .description('Mister Smith: the state layer of an AI agent framework (NATS JetStream + PostgreSQL)')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      ...(io.writeOut ? { writeOut: io.writeOut } : {}),
      ...(io.writeErr ? { writeErr: io.writeErr } : {}),
      outputError: (str, write) => write(`mister-smith: USAGE: ${str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()} (see --help)\n`),
    })
    .addOption(new Option('--load <module>', 'import a module first (repeatable, or comma-separated in MISTER_SMITH_LOAD): it may register upcasters and export `agentTypes` for the supervisor')
      .env('MISTER_SMITH_LOAD').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')]))
    .addHelpText('after', ENV_HELP);

  // The user's modules load before any command runs, so their upcasters apply to every read path.
  let loaded: LoadedModules | undefined;
  program.hook('preAction', async () => {
    const specs = (program.opts() as { load?: string[] }).load;
    if (specs && specs.length > 0) loaded = await loadModules(specs);
  });
  const agentTypes = () => (loaded && loaded.agentTypes.length > 0 ? { agentTypes: loaded.agentTypes } : {});

  const roleOptions = (cmd: Command) => cmd
    .addOption(new Option('--duration <seconds>', 'stop after this many seconds').argParser(positiveSeconds))
    .addOption(new Option('--metrics-port <port>', 'serve /metrics and /healthz on this port (0: any free one)').env('METRICS_PORT').argParser(port))
    .addOption(new Option('--status-interval <seconds>', 'seconds between status lines when stdout is not a terminal').default(5).argParser(positiveSeconds));

  leaf(roleOptions(program.command('up')
    .description('run supervisor, projector and bridge in one process (embedded NATS and PostgreSQL when NATS_URL / DATABASE_URL are unset)')
    .option('--demo', 'also run a small fleet of example agents doing work, tasks included')
    .addOption(new Option('--web-port <port>', 'port of the fleet page (default MISTER_SMITH_WEB_PORT, else 4280, else a free one)').argParser(port))), 'mister-smith up --demo\nNATS_URL=nats://nats:4222 DATABASE_URL=postgres://app@db/app mister-smith up --metrics-port 9464')
    .action(lazy(async (opts: { demo?: boolean; duration?: number; metricsPort?: number; statusInterval?: number; json?: boolean; webPort?: number }) => {
      const { up } = await import('./commands/up.js');
      await up({ ...opts, ...agentTypes() });
    }));

  for (const role of ['supervisor', 'projector', 'bridge'] as const) {
    const what = { supervisor: 'agent actors and their request/reply API', projector: 'every projection (agent registry, agent state, task view, archives)', bridge: 'the PostgreSQL outbox -> NATS bridge' }[role];
    leaf(roleOptions(program.command(role).description(`run the ${role} role alone: ${what}`)), `NATS_URL=nats://nats:4222 DATABASE_URL=postgres://app@db/app mister-smith ${role} --metrics-port 9464`)
      .action(lazy(async (opts: { duration?: number; metricsPort?: number; statusInterval?: number; json?: boolean }) => {
        const { runRole } = await import('./commands/runRole.js');
        await runRole(role, { ...opts, ...agentTypes() });
      }));
  }

  leaf(roleOptions(program.command('web').description('run the web role alone: the live fleet page, the read API and the agent sync endpoint (server-sent events)'))
    .addOption(new Option('--port <port>', 'port to serve (default MISTER_SMITH_WEB_PORT, else 4280; 0: any free one)').argParser(port))
    .addOption(new Option('--host <host>', 'interface to bind (default MISTER_SMITH_WEB_HOST, else 127.0.0.1); any other than loopback needs MISTER_SMITH_WEB_TOKEN'))
    .option('--allow-rebuild', 'let the page rebuild projections (default MISTER_SMITH_WEB_ALLOW_REBUILD, else read-only)'), 'NATS_URL=nats://nats:4222 DATABASE_URL=postgres://app@db/app MISTER_SMITH_WEB_TOKEN=... mister-smith web --host 0.0.0.0 --port 8080')
    .action(lazy(async (opts: { port?: number; host?: string; allowRebuild?: boolean; duration?: number; metricsPort?: number; statusInterval?: number; json?: boolean }) => {
      const { runRole } = await import('./commands/runRole.js');
      const { port: p, host, allowRebuild, ...rest } = opts;
      await runRole('web', { ...rest, web: { ...(p !== undefined ? { port: p } : {}), ...(host ? { host } : {}), ...(allowRebuild ? { allowRebuild } : {}) } });
    }));

  leaf(program.command('migrate').description('provision NATS (streams, buckets, consumers) and apply PostgreSQL migrations, printing what changed'), 'DATABASE_URL=postgres://postgres@127.0.0.1/app mister-smith migrate')
    .action(lazy(async (opts: { json?: boolean }) => {
      const { migrate } = await import('./commands/migrate.js');
      await migrate(opts);
    }));

  const agents = group(program, 'agents', 'spawn, inspect, change and stop agents');
  leaf(agents.command('spawn').description('spawn agents through a running supervisor')
    .requiredOption('--type <type>', 'agent type (the demo supervisor runs counter and notes)')
    .option('--id <id>', 'agent id (with --count N: <id>-1 ... <id>-N); default generated')
    .addOption(new Option('--count <n>', 'how many agents').default(1).argParser(positiveInt)), 'mister-smith agents spawn --type counter --id c1')
    .action(lazy(async (opts: { type: string; id?: string; count: number; json?: boolean }) => {
      const { agentsSpawn } = await import('./commands/agentsSpawn.js');
      await agentsSpawn(opts);
    }));
  leaf(agents.command('list').description('list agents by lifecycle state (COLD ones from PostgreSQL included)')
    .addOption(new Option('--state <state>', 'COLD, HYDRATING, ACTIVE, FLUSHING or EXPIRED').argParser(lifecycleState))
    .option('--waiting', 'list pending human-in-the-loop requests across the fleet instead')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(positiveInt)), 'mister-smith agents list --state ACTIVE\nmister-smith agents list --waiting')
    .action(lazy(async (opts: { state?: never; limit?: number; waiting?: boolean; json?: boolean }) => {
      if (opts.waiting) {
        const { agentsWaiting } = await import('./commands/agentsResume.js');
        await agentsWaiting(opts);
        return;
      }
      const { agentsList } = await import('./commands/agentsList.js');
      await agentsList(opts);
    }));
  addRuntimeCommands(agents, leaf, lazy);
  leaf(agents.command('get').description("read an agent's state (or one key) without activating it")
    .argument('<id>', 'agent id').argument('[key]', 'state key')
    .option('--at <revision|time>', 'the state as of a revision (stream sequence) or an ISO-8601 time, from the stream and the archive'), 'mister-smith agents get c1 count\nmister-smith agents get c1 --at 2026-05-01T12:00:00Z')
    .action(lazy(async (id: string, key: string | undefined, opts: { json?: boolean; at?: string }) => {
      if (opts.at !== undefined) {
        const { agentsGetAt } = await import('./commands/agentsAt.js');
        await agentsGetAt(id, key, opts.at, opts);
        return;
      }
      const { agentsGet } = await import('./commands/agentsGet.js');
      await agentsGet(id, key, opts);
    }));
  leaf(agents.command('restore').description("return one agent's state to an earlier revision or time (recorded as events; history stays whole)")
    .argument('<id>', 'agent id').requiredOption('--to <revision|time>', 'a revision (stream sequence, see "agents history") or an ISO-8601 time')
    .option('--command-id <id>', 'idempotency key: a retry with the same id changes nothing'), 'mister-smith agents restore c1 --to 42\nmister-smith agents restore c1 --to 2026-05-01T12:00:00Z')
    .action(lazy(async (id: string, opts: { to: string; commandId?: string; json?: boolean }) => {
      const { agentsRestore } = await import('./commands/agentsRestore.js');
      await agentsRestore(id, opts.to, opts);
    }));
  leaf(agents.command('set').description('write one key of an agent through the state plane')
    .argument('<id>', 'agent id').argument('<key>', 'state key').argument('[json]', 'the value, as JSON (or --file)', jsonValue)
    .option('--file <path>', 'read the JSON value from a file, or from stdin with -')
    .addOption(new Option('--strategy <strategy>', 'conflict strategy: lww, vclock or crdt').argParser(strategy))
    .addOption(new Option('--traceparent <traceparent>', 'W3C trace context carried in the event header').argParser(traceparent)), `mister-smith agents set c1 count 5\nmister-smith agents set c1 profile '{"name":"Ada"}' --strategy vclock\nmister-smith agents set c1 transcript --file transcript.json\ncat big.json | mister-smith agents set c1 doc --file -`)
    .action(lazy(async (id: string, key: string, value: unknown, opts: { file?: string; strategy?: never; traceparent?: string; json?: boolean }) => {
      if ((value === undefined) === (opts.file === undefined)) throw new CliError('USAGE', 'agents set needs the value either as an argument or with --file PATH (- for stdin), not both (see --help)');
      const { readJsonFile } = await import('./cli/readValueFile.js');
      const { agentsSet } = await import('./commands/agentsSet.js');
      await agentsSet(id, key, opts.file !== undefined ? await readJsonFile(opts.file) : value, opts);
    }));
  leaf(agents.command('command').description("send a command to an agent's handler through its owner (activating it if COLD) and print the reply")
    .argument('<id>', 'agent id').argument('<name>', 'command name').argument('[json]', 'the payload, as JSON', jsonValue)
    .option('--command-id <id>', 'command id: a retry with it returns the first reply and changes nothing (default: generated, printed)'), `mister-smith agents command c1 increment '{"by":2}' --command-id order-42`)
    .action(lazy(async (id: string, name: string, payload: unknown, opts: { commandId?: string; json?: boolean }) => {
      const { agentsCommand } = await import('./commands/agentsCommand.js');
      await agentsCommand(id, name, payload, opts);
    }));
  leaf(agents.command('stop').description('flush and expire an agent wherever it is ACTIVE').argument('<id>', 'agent id'), 'mister-smith agents stop c1')
    .action(lazy(async (id: string, opts: { json?: boolean }) => {
      const { agentsStop } = await import('./commands/agentsStop.js');
      await agentsStop(id, opts);
    }));
  leaf(agents.command('erase').description('remove one agent from every store (streams, KV, PostgreSQL), stopping it first; prints what was removed')
    .argument('<id>', 'agent id').option('--yes', 'confirm: erasure cannot be undone'), 'mister-smith agents erase customer-42 --yes')
    .action(lazy(async (id: string, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.yes !== true) cmd.error(`refusing to erase ${id} without --yes (erasure cannot be undone)`, { exitCode: 2, code: 'commander.usage' });
      const { agentsErase } = await import('./commands/agentsErase.js');
      await agentsErase(id, opts);
    }));
  leaf(agents.command('history').description("a key's (or every key's) values over time, from the stream and the KV history")
    .argument('<id>', 'agent id').argument('[key]', 'state key')
    .addOption(new Option('--from <where>', 'from this stream sequence or ISO-8601 time on (start: all kept)').argParser(startAt))
    .addOption(new Option('--limit <n>', 'at most this many values: the first after --from, else the latest').argParser(positiveInt)), 'mister-smith agents history c1 count --limit 10\nmister-smith agents history c1 --from 2024-05-01T12:00:00Z')
    .action(lazy(async (id: string, key: string | undefined, opts: { from?: never; limit?: number; json?: boolean }) => {
      const { agentsHistory } = await import('./commands/agentsHistory.js');
      await agentsHistory(id, key, opts);
    }));

  const events = group(program, 'events', 'follow the event streams');
  leaf(events.command('tail').description('stored events, a "caught up" marker, then live events')
    .option('--agent <id>', "only this agent's events (state and lifecycle, or --family)")
    .addOption(new Option('--family <family>', 'subject family: state, lifecycle or heartbeat, with or without --agent (repeatable)').argParser(family))
    .option('--type <type>', 'only events of this type (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--subject <subject>', 'subject filter, wildcards allowed (repeatable; one stream)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(new Option('--from <where>', 'start, new, a stream sequence, after:<epoch>:<seq> (resume) or an ISO-8601 time').default('new').argParser(startAt))
    .option('--archive', 'read events the stream no longer keeps from the PostgreSQL archive, then the stream')
    .addOption(new Option('--limit <n>', 'stop after this many events').argParser(positiveInt))
    .option('--no-follow', 'stop at the caught-up marker'), 'mister-smith events tail --agent c1 --type StateChanged --from start --archive\nmister-smith events tail --subject "tasks.>" --from 2024-05-01T12:00:00Z --limit 20\nmister-smith events tail --agent c1 --from after:1717236000000:42')
    .action(lazy(async (opts: { agent?: string; family?: ('state' | 'lifecycle' | 'heartbeat')[]; type: string[]; subject: string[]; from: never; archive?: boolean; limit?: number; follow: boolean; json?: boolean }) => {
      const { eventsTail } = await import('./commands/eventsTail.js');
      await eventsTail({ ...opts, subjects: opts.subject, types: opts.type, ...(opts.family ? { families: opts.family } : {}) });
    }));

  const dead = group(program, 'deadletters', 'events and tasks given up on: list, show, replay, discard');
  leaf(dead.command('list').description('dead letters, oldest first, with their reasons')
    .option('--source <source>', 'only from this source (projection:<name>, task-processor, ...)')
    .addOption(new Option('--limit <n>', 'at most this many (default 100)').argParser(positiveInt)), 'mister-smith deadletters list --source projection:agent-state')
    .action(lazy(async (opts: { source?: string; limit?: number; json?: boolean }) => {
      const { deadlettersList } = await import('./commands/deadletters.js');
      await deadlettersList(opts);
    }));
  for (const [verb, what] of [['show', 'one dead letter with its payload'], ['replay', "hand a projection's dead letter to it again: it applies (and is removed) or stays with its new reason"], ['discard', 'remove a dead letter for good']] as const) {
    leaf(dead.command(verb).description(what).argument('<id>', 'dead letter id (see "deadletters list")', positiveInt), `mister-smith deadletters ${verb} 12`)
      .action(lazy(async (id: number, opts: { json?: boolean }) => {
        const m = await import('./commands/deadletters.js');
        await { show: m.deadlettersShow, replay: m.deadlettersReplay, discard: m.deadlettersDiscard }[verb](id, opts);
      }));
  }

  const projections = group(program, 'projections', 'inspect and rebuild projections');
  leaf(projections.command('status').description('checkpoint, head, lag, state and rate of every projection'), 'mister-smith projections status')
    .action(lazy(async (opts: { json?: boolean }) => {
      const { projectionsStatus } = await import('./commands/projectionsStatus.js');
      await projectionsStatus(opts);
    }));
  leaf(projections.command('rebuild').description('rebuild a projection (or all) by replaying the archive and the stream')
    .argument('[name]', 'projection name (see "projections status")')
    .option('--all', 'rebuild every projection')
    .option('--force', 'rebuild even when archive + stream have gaps'), 'mister-smith projections rebuild agent-state\nmister-smith projections rebuild --all')
    .action(lazy(async (name: string | undefined, opts: { all?: boolean; force?: boolean; json?: boolean }) => {
      const { projectionsRebuild } = await import('./commands/projectionsRebuild.js');
      await projectionsRebuild(name, opts);
    }));

  const kv = group(program, 'kv', 'list, read, watch and write KV buckets');
  leaf(kv.command('get').description('the live value of a key').argument('<bucket>', BUCKET_ALIASES).argument('<key>', 'key (agent state: <agentId>.<stateKey>)'), 'mister-smith kv get agent-state c1.count')
    .action(lazy(async (bucket: string, key: string, opts: { json?: boolean }) => {
      const { kvGet } = await import('./commands/kvGet.js');
      await kvGet(bucket, key, opts);
    }));
  leaf(kv.command('watch').description('the current value, then every change').argument('<bucket>', BUCKET_ALIASES).argument('<key>', 'key or pattern (* and > allowed)')
    .addOption(new Option('--limit <n>', 'stop after this many entries').argParser(positiveInt))
    .option('--updates-only', 'skip the current value'), 'mister-smith kv watch agent-state "c1.*"')
    .action(lazy(async (bucket: string, key: string, opts: { limit?: number; updatesOnly?: boolean; json?: boolean }) => {
      const { kvWatch } = await import('./commands/kvWatch.js');
      await kvWatch(bucket, key, opts);
    }));

  leaf(kv.command('ls').description('the buckets (no argument), or the live keys of a bucket').argument('[bucket]', BUCKET_ALIASES).argument('[filter]', 'key filter (* and > allowed; default >)'), 'mister-smith kv ls\nmister-smith kv ls agent-state "c1.*"')
    .action(lazy(async (bucket: string | undefined, filter: string | undefined, opts: { json?: boolean }) => {
      const { kvList } = await import('./commands/kvList.js');
      await kvList(bucket, filter, opts);
    }));
  leaf(kv.command('put').description('store a value (text as given) under a key; not for agent state (use agents set)').argument('<bucket>', BUCKET_ALIASES).argument('<key>', 'key').argument('[value]', 'the value (or --file)')
    .option('--file <path>', 'read the value from a file, or from stdin with -'), `mister-smith kv put agent-config c1.model '"large"'\nmister-smith kv put session user-1 --file session.json`)
    .action(lazy(async (bucket: string, key: string, value: string | undefined, opts: { file?: string; json?: boolean }) => {
      if ((value === undefined) === (opts.file === undefined)) throw new CliError('USAGE', 'kv put needs the value either as an argument or with --file PATH (- for stdin), not both (see --help)');
      const { kvPut } = await import('./commands/kvPut.js');
      await kvPut(bucket, key, value, opts);
    }));
  leaf(kv.command('del').description('delete a key (history keeps older revisions); not for agent state').argument('<bucket>', BUCKET_ALIASES).argument('<key>', 'key'), 'mister-smith kv del session user-1')
    .action(lazy(async (bucket: string, key: string, opts: { json?: boolean }) => {
      const { kvDelete } = await import('./commands/kvDelete.js');
      await kvDelete(bucket, key, opts);
    }));

  const tasks = group(program, 'tasks', 'list, inspect and cancel the tasks of tasks.queue');
  leaf(tasks.command('list').description('tasks of tasks.queue, newest first, with a count per status')
    .addOption(new Option('--status <status>', 'pending, running, completed, failed or cancelled').argParser(taskStatus))
    .option('--agent <id>', 'only tasks assigned to this agent')
    .addOption(new Option('--limit <n>', 'at most this many (default 50)').argParser(positiveInt)), 'mister-smith tasks list --status failed')
    .action(lazy(async (opts: { status?: never; agent?: string; limit?: number; json?: boolean }) => {
      const { tasksList } = await import('./commands/tasksList.js');
      await tasksList(opts);
    }));
  leaf(tasks.command('get').description('one task: payload, result, error, attempts and its lifecycle events').argument('<taskId>', 'task id (a uuid)'), 'mister-smith tasks get 0190d3a4-5b8f-7c1a-9e2d-3f4a5b6c7d8e')
    .action(lazy(async (taskId: string, opts: { json?: boolean }) => {
      const { tasksGet } = await import('./commands/tasksGet.js');
      await tasksGet(taskId, opts);
    }));
  leaf(tasks.command('cancel').description('cancel a pending or running task (tasks.cancelled.<id> follows)').argument('<taskId>', 'task id (a uuid)'), 'mister-smith tasks cancel 0190d3a4-5b8f-7c1a-9e2d-3f4a5b6c7d8e')
    .action(lazy(async (taskId: string, opts: { json?: boolean }) => {
      const { tasksCancel } = await import('./commands/tasksCancel.js');
      await tasksCancel(taskId, opts);
    }));

  leaf(program.command('sql').description("open psql on the stack's database (prints its URL when psql is missing); arguments after -- go to psql")
    .argument('[psqlArgs...]', 'passed to psql'), 'mister-smith sql\nmister-smith sql -- -c "SELECT status, count(*) FROM tasks.queue GROUP BY 1"')
    .action(lazy(async (psqlArgs: string[], opts: { json?: boolean }) => {
      const { sqlShell } = await import('./commands/sqlShell.js');
      const r = await sqlShell(psqlArgs, opts);
      if (r.ran === 'psql') status.exitCode = r.exitCode;
    }));
  leaf(program.command('env').description("print the stack's connection variables as export lines: eval \"$(mister-smith env)\""), 'mister-smith env\neval "$(mister-smith env)" && psql "$DATABASE_URL"')
    .action(lazy(async (opts: { json?: boolean }) => {
      const { envCommand } = await import('./commands/envCommand.js');
      await envCommand(opts);
    }));

  leaf(program.command('streams').description('messages, bytes, sequences and consumers of every stream and bucket'), 'mister-smith streams --json')
    .action(lazy(async (opts: { json?: boolean }) => {
      const { streams } = await import('./commands/streams.js');
      await streams(opts);
    }));

  leaf(program.command('backup').description('write a consistent cut of the namespace (tables, streams, KV) to a gzip file, streaming, with progress')
    .requiredOption('--out <file>', 'where to write the backup'), 'mister-smith backup --out fleet.msb.gz')
    .action(lazy(async (opts: { out: string; json?: boolean }) => {
      const { backup } = await import('./commands/backupRestore.js');
      await backup(opts.out, opts);
    }));
  leaf(program.command('restore').description('load a backup into an empty namespace and database (provisions and migrates them first)')
    .requiredOption('--in <file>', 'the backup to load'), 'MISTER_SMITH_NAMESPACE=restored mister-smith restore --in fleet.msb.gz')
    .action(lazy(async (opts: { in: string; json?: boolean }) => {
      const { restore } = await import('./commands/backupRestore.js');
      await restore(opts.in, opts);
    }));

  const archive = group(program, 'archive', 'the PostgreSQL event archive');
  leaf(archive.command('prune').description('apply the archive retention policy once: drop superseded events behind each agent\'s latest snapshot, with a report')
    .option('--keep-for <duration>', 'keep events newer than this (e.g. 30d, 12h)')
    .option('--keep-last <n>', 'keep each agent\'s N newest events before its latest snapshot')
    .option('--dry-run', 'count what would go, change nothing'), 'mister-smith archive prune --keep-for 30d --dry-run')
    .action(lazy(async (opts: { keepFor?: string; keepLast?: string; dryRun?: boolean; json?: boolean }) => {
      const { archivePrune } = await import('./commands/archivePrune.js');
      await archivePrune(opts);
    }));

  leaf(program.command('doctor').description('check servers, provisioning, migrations, projection lag and the outbox; exit 1 on a problem'), 'mister-smith doctor')
    .action(lazy(async (opts: { json?: boolean }) => {
      const { doctor } = await import('./commands/doctor.js');
      await doctor(opts);
    }));

  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, arguments...) and returns the exit status: 0 on success, 2 on a
 * usage error, 1 on any other failure, which is printed as one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const status = { exitCode: 0 };
  const program = createProgram(io, status);
  const writeErr = io.writeErr ?? ((t: string) => { process.stderr.write(t); });
  try {
    await program.parseAsync([...argv]);
    return status.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; commander already printed usage errors (one line, see outputError).
      return e.exitCode === 0 ? 0 : 2;
    }
    writeErr(`${formatError(e)}\n`);
    if (process.env.MISTER_SMITH_DEBUG === '1' && e instanceof Error) writeErr(`${e.stack ?? ''}\n`);
    return exitCodeOf(e);
  }
}
