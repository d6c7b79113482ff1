import { resolve } from 'node:path';
import { loadConfig, type MisterSmithConfig } from '../config/loadConfig.js';
import { openMisterSmith } from '../stack/openMisterSmith.js';
import type { Stack } from '../stack/Stack.js';
import { startLocalNats, type LocalNats } from './startLocalNats.js';
import { startLocalPostgres, type LocalPostgres } from './startLocalPostgres.js';

export type { Stack } from '../stack/Stack.js';

/** Options of `startLocalStack`. */
export interface StartStackOptions {
  readonly config?: MisterSmithConfig;
  /** Skip NATS provisioning and migrations (they are idempotent, but cost a round trip each). */
  readonly skipSetup?: boolean;
  readonly onProgress?: (message: string) => void;
}

/**
 * Connects to NATS and PostgreSQL as configured, starting embedded ones when `NATS_URL` or
 * `DATABASE_URL` is unset, then provisions the topology and runs migrations.
 *
 * @example
 * await using stack = await startLocalStack();
 * await stack.logs.agentState.append(createEvent({ type: 'Hello', subject: 'agents.state.demo', data: {} }));
 */
export async function startLocalStack(options: StartStackOptions = {}): Promise<Stack> {
  const config = options.config ?? loadConfig();
  const say = options.onProgress ?? (() => undefined);
  const dataDir = resolve(config.dataDir);
  const embedded: { nats?: LocalNats; postgres?: LocalPostgres } = {};
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let servers = config.nats.servers;
    if (!servers || servers.length === 0) {
      say(`starting embedded nats-server (data in ${dataDir}/nats)`);
      embedded.nats = await startLocalNats({ dataDir: `${dataDir}/nats` });
      cleanup.unshift(() => embedded.nats!.stop());
      servers = [embedded.nats.url];
      say(`nats-server ready at ${embedded.nats.url}`);
    }
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      say(`starting embedded PostgreSQL (data in ${dataDir}/postgres)`);
      embedded.postgres = await startLocalPostgres({ dataDir: `${dataDir}/postgres`, ...(config.postgresBinDir !== undefined ? { binDir: config.postgresBinDir } : {}) });
      cleanup.unshift(() => embedded.postgres!.stop());
      databaseUrl = embedded.postgres.url;
      say(`PostgreSQL ready on port ${embedded.postgres.port}`);
    }
    const opened = await openMisterSmith({ config, natsUrl: servers, databaseUrl, setup: !options.skipSetup, onProgress: say });
    cleanup.unshift(() => opened.close());
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= (async () => {
      for (const c of cleanup) await c().catch(() => undefined);
    })());
    return { ...opened, embedded, close, [Symbol.asyncDispose]: close };
  } catch (e) {
    for (const c of cleanup) await c().catch(() => undefined);
    throw e;
  }
}
