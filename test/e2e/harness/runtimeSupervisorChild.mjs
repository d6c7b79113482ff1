// The supervisor service with the agent-runtime test types, as a separate process for kill -9 scenarios.
// Configured like supervisorChild.mjs (NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE,
// MISTER_SMITH_PROFILE, MISTER_SMITH_SUPERVISOR_ID, LEASE_TTL_SECONDS), plus HANG_AFTER_STEP=1: the
// `payer` agent's `pay` hangs right after its step is recorded (the worst moment to die).
// Agent types: assistant, counter, and
// - payer: `pay { amount }` charges once in a step (a row in public.charges), then records the payment;
// - slow: `inc` increments `count` after a short pause, so commands queue up behind each other.
import { assistantAgent, counterAgent, defineAgentType } from '../../../packages/actors/dist/index.js';
import { buildTopology, connectNats, createDatabase, createLogger, loadConfig } from '@mister-smith/core';
import { createSupervisorService } from '../../../services/supervisor/dist/index.js';

const parent = Number(process.env.MS_PARENT_PID ?? 0);
if (parent > 0) {
  setInterval(() => {
    try { process.kill(parent, 0); } catch { process.exit(70); }
  }, 500).unref();
}

const config = loadConfig(process.env);
const supervisorId = process.env.MISTER_SMITH_SUPERVISOR_ID;
const logger = createLogger(`supervisor-${supervisorId}`, { level: process.env.LOG_LEVEL ?? 'warn' });
const nats = await connectNats({ ...config.nats, name: `runtime-${supervisorId}` });
const pg = await createDatabase(config.databaseUrl, { max: 6, applicationName: `runtime-${supervisorId}` });
const topology = buildTopology({ namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize, leaseTtlSeconds: Number(process.env.LEASE_TTL_SECONDS ?? 15) });
const hang = process.env.HANG_AFTER_STEP === '1';

const payer = defineAgentType({
  name: 'payer',
  initialState: { paid: 0 },
  commands: {
    async pay(draft, payload, ctx) {
      const amount = Number(payload?.amount ?? 1);
      const receipt = await ctx.step('charge', async () => {
        const r = await pg.withClient((c) => c.query('INSERT INTO public.charges (agent_id, command_id, amount) VALUES ($1, $2, $3) RETURNING id', [ctx.agentId, ctx.commandId, amount]));
        return { chargeId: Number(r.rows[0].id), amount };
      });
      if (hang) {
        process.stdout.write(`step-recorded ${ctx.commandId}\n`);
        await new Promise(() => undefined);
      }
      draft.paid += amount;
      return receipt;
    },
  },
});

const slow = defineAgentType({
  name: 'slow',
  initialState: { count: 0 },
  commands: {
    async inc(draft) {
      await new Promise((r) => setTimeout(r, 20));
      draft.count += 1;
      return draft.count;
    },
  },
});

const service = await createSupervisorService({
  nats, pg, topology, logger, supervisorId,
  agentTypes: [assistantAgent, counterAgent, payer, slow],
  forwardTimeoutMs: Number(process.env.FORWARD_TIMEOUT_MS ?? 2000),
  scheduler: { pollMs: 200, lockPollMs: 200, retryMs: 250, ownerGraceMs: 1000 },
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
