import * as os from 'node:os';
import type { TestEnv } from '@mister-smith/core/testing';

/** What the figures were measured on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly natsServer: string;
  readonly postgres: string;
}

/** Reads the CPU, Node version, nats-server version (connection info) and `SHOW server_version`. */
export async function machineInfo(env: TestEnv): Promise<MachineInfo> {
  const cpus = os.cpus();
  const { rows } = await env.pg.withClient((c) => c.query<{ server_version: string }>('SHOW server_version'));
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer: env.nats.nc.info?.version ?? 'unknown',
    postgres: rows[0]?.server_version ?? 'unknown',
  };
}
