import {
  connectNats, createDatabase, LIFECYCLE_STATES, pendingMigrations, redactUrl, buildTopology,
  type DatabaseHandle, type NatsHandle, type Topology,
} from '@mister-smith/core';
import { measureHeadroom } from '@mister-smith/projector';
import { sql } from 'kysely';
import { CliError } from '../cli/CliError.js';
import { createOutput, type Output } from '../cli/Output.js';
import { formatError } from '../cli/formatError.js';
import { formatDuration } from '../cli/formatProgress.js';
import { describeServers, inspectStack } from '../connection/inspectStack.js';
import { resolveConnection, type ResolvedConnection } from '../connection/resolveConnection.js';
import { stackFilePath } from '../connection/stackFile.js';
import { readProjectionStatuses } from './projectionsStatus.js';
import { streamInfoView } from './streams.js';

/** Options of `mister-smith doctor`. */
export interface DoctorOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One finding of `doctor`. `fail` makes the command exit non-zero; `warn` does not. */
export interface DoctorCheck {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly message: string;
  /** How to fix it (problems only). */
  readonly fix?: string;
}

/** The report of `doctor`. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

/** An outbox row older than this means no bridge publishes. */
const OUTBOX_STALE_MS = 60_000;

/**
 * `mister-smith doctor`: reachability of NATS and PostgreSQL, server version and feature gates,
 * provisioned streams and buckets, pending migrations, projection lag against the retention
 * window, outbox depth and dead letters, each problem with a fix. Throws CHECK_FAILED (exit 1)
 * after printing the report when a check failed.
 *
 * @example
 * const report = await doctor({ json: true }).catch((e) => e);
 */
export async function doctor(options: DoctorOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => { checks.push(c); };
  let resolved: ResolvedConnection | undefined;
  try {
    resolved = await resolveConnection(options.env ?? process.env);
    const cfg = resolved.config;
    add({ check: 'config', status: 'ok', message: `namespace ${cfg.namespace ?? '(none: seed names)'}, profile ${cfg.profile}, NATS from ${resolved.natsFrom}, PostgreSQL from ${resolved.databaseFrom ?? 'nowhere'}` });
  } catch (e) {
    add({ check: 'config', status: 'fail', message: formatError(e).replace(/^mister-smith: /, ''), fix: 'fix the environment variable named in the message (see README "Configuration")' });
  }
  if (resolved) add(await checkStack(resolved));
  let nats: NatsHandle | undefined;
  let pg: DatabaseHandle | undefined;
  try {
    if (resolved) {
      const cfg = resolved.config;
      const servers = (cfg.nats.servers ?? []).map(redactUrl).join(',');
      try {
        nats = await connectNats({ ...cfg.nats, name: 'mister-smith-doctor' }, { timeoutMs: 3000 });
        add({ check: 'nats', status: 'ok', message: `${servers}: nats-server ${nats.gates.version}, JetStream on, cluster of ${nats.clusterSize}` });
        const g = nats.gates;
        const on = [g.streamCompression && 'stream compression', g.perMessageTtl && 'per-message TTL', g.multipleFilterSubjects && 'several filter subjects', g.metadata && 'metadata'].filter(Boolean);
        add({ check: 'features', status: 'ok', message: `on: ${on.length ? on.join(', ') : 'none of the gated ones'}${g.disabled.length ? `; off: ${g.disabled.join('; ')}` : ''}` });
      } catch (e) {
        add({ check: 'nats', status: 'fail', message: formatError(e).replace(/^mister-smith: /, ''), fix: resolved.natsFrom === 'default' ? 'start "mister-smith up" (embedded servers), run nats-server -js on 127.0.0.1:4222, or set NATS_URL' : 'check that nats-server runs with -js at NATS_URL and the credentials are right' });
      }
      if (cfg.databaseUrl === undefined) {
        add({ check: 'postgres', status: 'fail', message: `DATABASE_URL is not set and no running "mister-smith up" was found (${resolved.stackFile})`, fix: 'set DATABASE_URL, or start "mister-smith up"' });
      } else {
        try {
          pg = await createDatabase(cfg.databaseUrl, { max: 2, applicationName: 'mister-smith-doctor' });
          const v = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(pg.db);
          add({ check: 'postgres', status: 'ok', message: `${pg.url}: PostgreSQL ${v.rows[0]?.v ?? '?'}` });
        } catch (e) {
          add({ check: 'postgres', status: 'fail', message: formatError(e).replace(/^mister-smith: /, ''), fix: 'check that PostgreSQL runs and accepts DATABASE_URL' });
        }
      }
    }
    const topology = nats && resolved ? buildTopology({ namespace: resolved.config.namespace, profile: resolved.config.profile, clusterSize: nats.clusterSize }) : undefined;
    const section = async (check: string, fn: () => Promise<boolean>): Promise<boolean> => {
      try {
        return await fn();
      } catch (e) {
        add({ check, status: 'fail', message: formatError(e).replace(/^mister-smith: /, ''), fix: 'see the message; "mister-smith migrate" provisions NATS and migrates PostgreSQL' });
        return false;
      }
    };
    const provisioned = nats && topology ? await section('streams', () => checkStreams(nats!, topology, add)) : false;
    const migrated = pg ? await section('database', () => checkDatabase(pg!, add)) : false;
    // Projection status needs both the streams and the checkpoint table.
    if (provisioned && migrated) await section('projections', () => checkProjections({ nats: nats!, pg: pg!, topology: topology! }, add).then(() => true));
  } finally {
    await pg?.close();
    await nats?.close();
  }
  const report: DoctorReport = { ok: checks.every((c) => c.status !== 'fail'), checks };
  output.result(report, () => {
    const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
    const problems = checks.filter((c) => c.status === 'fail').length;
    const warnings = checks.filter((c) => c.status === 'warn').length;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    return [
      ...checks.flatMap((c) => [`${mark[c.status]} ${c.check}: ${c.message}`, ...(c.fix ? [`     ${c.status === 'warn' ? 'hint' : 'fix'}: ${c.fix}`] : [])]),
      problems === 0 && warnings === 0 ? 'everything looks right'
        : problems === 0 ? `no problems; ${plural(warnings, 'warning')} (WARN: worth a look, nothing is broken)`
          : `${plural(problems, 'problem')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`,
    ];
  });
  if (!report.ok) throw new CliError('CHECK_FAILED', `${checks.filter((c) => c.status === 'fail').map((c) => c.check).join(', ')} failed (see the report above)`);
  return report;
}

/** What runs on the data folder: a live `up`, nothing, or servers a killed `up` left behind. */
async function checkStack(resolved: ResolvedConnection): Promise<DoctorCheck> {
  const found = await inspectStack(resolved.config.dataDir);
  const where = found.dataDir;
  if (found.ownerAlive) {
    return { check: 'stack', status: 'ok', message: `mister-smith pid ${found.file!.pid} runs ${found.servers.length > 0 ? describeServers(found.servers) : 'embedded servers'}` };
  }
  if (found.orphans.length > 0) {
    const pids = found.orphans.map((o) => o.pid).join(' ');
    return {
      check: 'stack', status: 'fail',
      message: `${found.file ? `mister-smith pid ${found.file.pid} (stack.json) is gone, but ` : ''}${describeServers(found.orphans)} still run${found.orphans.length === 1 ? 's' : ''} on ${where} with nobody to stop ${found.orphans.length === 1 ? 'it' : 'them'}${resolved.natsFrom === 'default' ? `; this check falls back to ${resolved.config.nats.servers?.[0] ?? 'the default NATS'}, another server` : ''}`,
      fix: `run "mister-smith up" again in this folder (it stops them cleanly, then starts fresh servers on the same data), or stop them: kill ${pids}`,
    };
  }
  if (found.file) return { check: 'stack', status: 'warn', message: `stale ${stackFilePath(where)}: mister-smith pid ${found.file.pid} is gone and left no server running`, fix: 'nothing to do: the next "mister-smith up" removes it' };
  return { check: 'stack', status: 'ok', message: `no mister-smith up running on ${where}` };
}

async function checkStreams(nats: NatsHandle, topology: Topology, add: (c: DoctorCheck) => void): Promise<boolean> {
  const views = [
    ...await Promise.all(Object.values(topology.streams).map((s) => streamInfoView(nats, s.name, 'stream', s.name))),
    ...await Promise.all(Object.values(topology.buckets).map((b) => streamInfoView(nats, b.bucket, 'bucket', `KV_${b.bucket}`))),
  ];
  const missing = views.filter((v) => !v.exists).map((v) => v.name);
  add(missing.length === 0
    ? { check: 'streams', status: 'ok', message: `${views.length} streams and buckets provisioned` }
    : { check: 'streams', status: 'fail', message: `missing: ${missing.join(', ')}`, fix: 'run "mister-smith migrate"' });
  return missing.length === 0;
}

async function checkDatabase(pg: DatabaseHandle, add: (c: DoctorCheck) => void): Promise<boolean> {
  const pending = await pendingMigrations(pg.db);
  add(pending.length === 0
    ? { check: 'migrations', status: 'ok', message: 'schema up to date' }
    : { check: 'migrations', status: 'fail', message: `pending: ${pending.join(', ')}`, fix: 'run "mister-smith migrate"' });
  if (pending.length > 0) return false;
  const outbox = await sql<{ depth: number; oldest: Date | null }>`SELECT count(*)::int AS depth, min(created_at) AS oldest FROM mister_smith.outbox WHERE published_at IS NULL`.execute(pg.db);
  const { depth = 0, oldest = null } = outbox.rows[0] ?? {};
  const age = oldest ? Date.now() - oldest.getTime() : 0;
  add(depth === 0
    ? { check: 'outbox', status: 'ok', message: 'nothing waiting to be published' }
    : age > OUTBOX_STALE_MS
      ? { check: 'outbox', status: 'fail', message: `${depth} rows unpublished, the oldest for ${formatDuration(age)}: no bridge publishes`, fix: 'start "mister-smith bridge" (or "mister-smith up")' }
      : { check: 'outbox', status: 'ok', message: `${depth} rows being published (oldest ${formatDuration(age)})` });
  const dead = await sql<{ n: number }>`SELECT count(*)::int AS n FROM mister_smith.dead_letters`.execute(pg.db);
  const n = dead.rows[0]?.n ?? 0;
  add(n === 0
    ? { check: 'dead letters', status: 'ok', message: 'none' }
    : { check: 'dead letters', status: 'warn', message: `${n} recorded`, fix: 'inspect them: SELECT source, subject, reason FROM mister_smith.dead_letters ORDER BY id DESC' });
  const agents = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM agents.registry GROUP BY status`.execute(pg.db);
  const byState = new Map(agents.rows.map((r) => [r.status, r.n]));
  add({ check: 'agents', status: 'ok', message: agents.rows.length === 0 ? 'none registered' : LIFECYCLE_STATES.filter((s) => byState.has(s)).map((s) => `${s} ${byState.get(s)}`).join(', ') || agents.rows.map((r) => `${r.status} ${r.n}`).join(', ') });
  return true;
}

async function checkProjections(deps: { nats: NatsHandle; pg: DatabaseHandle; topology: Topology }, add: (c: DoctorCheck) => void): Promise<void> {
  const { nats } = deps;
  for (const s of await readProjectionStatuses(deps)) {
    const name = `projection ${s.name}`;
    if (s.state === 'failed') { add({ check: name, status: 'fail', message: `failed: ${s.reason ?? 'no reason recorded'}`, fix: `see the projector's log; then "mister-smith projections rebuild ${s.name}"` }); continue; }
    if (s.reason === 'never ran') {
      add({ check: name, status: s.head > 0 ? 'warn' : 'ok', message: `never ran${s.head > 0 ? ` (${s.head} events waiting)` : ''}`, ...(s.head > 0 ? { fix: 'start "mister-smith projector" (or "mister-smith up")' } : {}) });
      continue;
    }
    if ((s.stalledMs ?? 0) > 0) {
      add({ check: name, status: 'fail', message: `stalled: lag ${s.lag}, checkpoint ${s.checkpoint.seq} has not moved for ${formatDuration(s.stalledMs)} (reader reopened ${s.readerRestarts} times)`, fix: 'see the projector\'s log; if it does not recover, restart "mister-smith projector" (a standby takes over)' });
      continue;
    }
    if (s.lag === 0) { add({ check: name, status: 'ok', message: `caught up at ${s.checkpoint.seq} (${s.state})` }); continue; }
    // Retention: events the stream dropped before the projection read them are lost to it.
    if (s.checkpoint.seq + 1 < s.streamFirstSeq) {
      add({ check: name, status: 'fail', message: `lag ${s.lag}: events ${s.checkpoint.seq + 1}..${s.streamFirstSeq - 1} left the stream before it projected them`, fix: `"mister-smith projections rebuild ${s.name}" (replays the archive), and raise the stream's max_age if it keeps happening` });
      continue;
    }
    const { headroom, oldestUnprojectedAgeMs: ageMs, limits: { maxAgeMs } } = await measureHeadroom(nats, s);
    const half = headroom.warn;
    add({
      check: name, status: half ? 'warn' : 'ok',
      message: `lag ${s.lag} (oldest unprojected event ${formatDuration(ageMs)} old${maxAgeMs > 0 ? `, the stream keeps ${formatDuration(maxAgeMs)}` : ''}; ${s.state})`,
      ...(half ? { fix: `start or scale "mister-smith projector"; the projection is past half the retention margin of ${s.stream} (${Math.round(headroom.ratio * 100)}% left)` } : {}),
    });
  }
}
