// The bridge service as a separate process, for kill -9 scenarios. Configured by the environment
// (NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, MISTER_SMITH_PROFILE); prints "bridge-ready"
// once it has tried the lock, then runs until SIGTERM (clean stop) or SIGKILL.
import { runBridgeService } from '@mister-smith/bridge';

// Never outlive the test process (a worker killed with SIGKILL runs no exit hooks).
const parent = Number(process.env.MS_PARENT_PID ?? 0);
if (parent > 0) {
  setInterval(() => {
    try { process.kill(parent, 0); } catch { process.exit(70); }
  }, 500).unref();
}

const service = await runBridgeService({ bridge: { pollIntervalMs: 200, lockRetryMs: 200, maxBackoffMs: 1000 } });
process.stdout.write(`bridge-ready ${JSON.stringify({ pid: process.pid, active: service.bridge.status().active })}\n`);
await service.done;
process.exit(0);
