// The supervisor service with the agent-runtime test types, as a separate process for kill -9 scenarios.
// Configured like every supervisor child (see supervisorProcess.mjs), plus HANG_AFTER_STEP=1: the
// `payer` agent's `pay` hangs right after its step is recorded (the worst moment to die).
// Agent types: assistant, counter, and
// - payer: `pay { amount }` charges once in a step (a row in public.charges), then records the payment;
// - slow: `inc` increments `count` after a short pause, so commands queue up behind each other.
import { assistantAgent, counterAgent, defineAgentType } from '../../../packages/actors/dist/index.js';
import { runSupervisorProcess } from './supervisorProcess.mjs';

const hang = process.env.HANG_AFTER_STEP === '1';

/** `pay { amount }`: one charge row per command, in a durable step; the database is the process's. */
const payerAgent = (pg) => defineAgentType({
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

await runSupervisorProcess('runtime', (pg) => ({
  agentTypes: [assistantAgent, counterAgent, payerAgent(pg), slow],
  scheduler: { pollMs: 200, lockPollMs: 200, retryMs: 250, ownerGraceMs: 1000 },
}));
