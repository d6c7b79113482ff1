// The projector service as a separate process, for kill -9 scenarios. Configured by the
// environment (NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, MISTER_SMITH_PROFILE, PROJECTOR_ID);
// prints "projector-ready" once its runners have started (active or standby), then runs until
// SIGTERM (clean stop) or SIGKILL.
import { runProjectorService } from '@mister-smith/projector';

// Never outlive the test process (a worker killed with SIGKILL runs no exit hooks).
const parent = Number(process.env.MS_PARENT_PID ?? 0);
if (parent > 0) {
  setInterval(() => {
    try { process.kill(parent, 0); } catch { process.exit(70); }
  }, 500).unref();
}

const service = await runProjectorService({
  projector: { ...(process.env.PROJECTOR_ID ? { instanceId: process.env.PROJECTOR_ID } : {}), runner: { lockPollMs: 250 } },
});
process.stdout.write(`projector-ready ${JSON.stringify({ pid: process.pid, instance: service.projector.instanceId })}\n`);
await service.done;
process.exit(0);
