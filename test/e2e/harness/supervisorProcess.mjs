// What every supervisor child process of the e2e suites shares: configured by the environment
// (NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, MISTER_SMITH_PROFILE, MISTER_SMITH_SUPERVISOR_ID,
// LEASE_TTL_SECONDS, FORWARD_TIMEOUT_MS), it prints "supervisor-ready {pid, supervisorId}" once the
// service runs, then runs until SIGTERM (clean stop: agents flushed, last transitions published,
// leases released) or SIGKILL, and never outlives the test process (MS_PARENT_PID).
//
// Not runSupervisorService: its stack provisions the default topology, whose AGENT_LEASES TTL (15 s)
// would replace the short one these scenarios run with. The topology here is the test's, with
// `leaseTtlSeconds` from the environment, so the supervisor's lease period and the bucket TTL agree.
// The supervisor package is not a dependency of the test package: it is loaded from its build.
import { buildTopology, connectNats, createDatabase, createLogger, loadConfig } from '@mister-smith/core';
import { createSupervisorService } from '../../../services/supervisor/dist/index.js';

/**
 * Starts the supervisor service in this process. `serviceOptions(pg)` adds options of the scenario
 * (agent types, scheduler periods); it gets the process's database so agent types can use it.
 */
export async function runSupervisorProcess(label, serviceOptions = () => ({})) {
  // Never outlive the test process (a worker killed with SIGKILL runs no exit hooks).
  const parent = Number(process.env.MS_PARENT_PID ?? 0);
  if (parent > 0) {
    setInterval(() => {
      try { process.kill(parent, 0); } catch { process.exit(70); }
    }, 500).unref();
  }

  const config = loadConfig(process.env);
  const supervisorId = process.env.MISTER_SMITH_SUPERVISOR_ID;
  const logger = createLogger(`supervisor-${supervisorId}`, { level: process.env.LOG_LEVEL ?? 'warn' });
  const nats = await connectNats({ ...config.nats, name: `${label}-${supervisorId}` });
  const pg = await createDatabase(config.databaseUrl, { max: 6, applicationName: `${label}-${supervisorId}` });
  const topology = buildTopology({ namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize, leaseTtlSeconds: Number(process.env.LEASE_TTL_SECONDS ?? 15) });
  const service = await createSupervisorService({
    nats, pg, topology, logger, supervisorId,
    forwardTimeoutMs: Number(process.env.FORWARD_TIMEOUT_MS ?? 2000),
    ...serviceOptions(pg),
  });
  process.stdout.write(`supervisor-ready ${JSON.stringify({ pid: process.pid, supervisorId: service.supervisor.supervisorId })}\n`);

  let stopping = false;
  process.once('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      let code = 0;
      try { await service.stop(); } catch (e) { code = 1; process.stderr.write(`supervisor stop failed: ${e?.message ?? e}\n`); }
      await nats.close().catch(() => undefined);
      await pg.close().catch(() => undefined);
      process.exit(code);
    })();
  });
}
