import { loadConfig, type MisterSmithConfig } from '@mister-smith/core';
import { readStackFile, stackFilePath, type StackFile } from './stackFile.js';

/** NATS used by commands when neither NATS_URL nor a running stack says otherwise. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Where a command's servers come from. */
export interface ResolvedConnection {
  /** The configuration with `nats.servers` always set and `databaseUrl` set when known. */
  readonly config: MisterSmithConfig;
  readonly natsFrom: 'env' | 'stack-file' | 'default';
  readonly databaseFrom: 'env' | 'stack-file' | undefined;
  /** The stack file of a running `mister-smith up` in the data folder, if any. */
  readonly stack: StackFile | undefined;
  readonly stackFile: string;
}

/**
 * Resolves the servers of a command that must not start embedded ones (everything but `up` and
 * the roles): the environment first (`NATS_URL`, `DATABASE_URL`, `MISTER_SMITH_NAMESPACE`,
 * `MISTER_SMITH_PROFILE`), then the `<dataDir>/stack.json` of a running `mister-smith up`, and
 * for NATS finally `nats://127.0.0.1:4222`. PostgreSQL has no such default: commands that need it
 * fail with a hint when it is unknown.
 */
export async function resolveConnection(env: Readonly<Record<string, string | undefined>> = process.env): Promise<ResolvedConnection> {
  const config = loadConfig(env);
  const stack = await readStackFile(config.dataDir);
  const envNats = config.nats.servers !== undefined && config.nats.servers.length > 0;
  const useStack = stack !== undefined && !envNats;
  const servers = envNats ? config.nats.servers! : useStack ? [stack.natsUrl] : [DEFAULT_NATS_URL];
  const databaseUrl = config.databaseUrl ?? stack?.databaseUrl;
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  const namespace = set('MISTER_SMITH_NAMESPACE') ? config.namespace : useStack ? stack.namespace : config.namespace;
  const profile = set('MISTER_SMITH_PROFILE') || !useStack ? config.profile : stack.profile;
  return {
    config: {
      ...config,
      nats: { ...config.nats, servers },
      ...(databaseUrl !== undefined ? { databaseUrl } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      profile,
    },
    natsFrom: envNats ? 'env' : useStack ? 'stack-file' : 'default',
    databaseFrom: config.databaseUrl !== undefined ? 'env' : stack ? 'stack-file' : undefined,
    stack,
    stackFile: stackFilePath(config.dataDir),
  };
}
