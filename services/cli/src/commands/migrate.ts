import { migrateToLatest, provision, type MigrationReport, type ProvisionReport } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';

/** Options of `mister-smith migrate`. */
export interface MigrateOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `migrate` did. */
export interface MigrateResult {
  readonly nats: { readonly servers: readonly string[]; readonly namespace: string | null } & ProvisionReport;
  readonly postgres: { readonly url: string } & MigrationReport;
}

/**
 * `mister-smith migrate`: provisions the NATS streams, buckets and consumers and applies the
 * PostgreSQL migrations, printing what changed. Both steps are idempotent.
 *
 * @example
 * const { nats, postgres } = await migrate({ json: true });
 * console.log(nats.created, postgres.applied);
 */
export async function migrate(options: MigrateOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<MigrateResult> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const pg = c.requirePg();
  const provisioned = await provision(c.nats, c.topology);
  const migrated = await migrateToLatest(pg.db);
  const result: MigrateResult = {
    nats: { servers: c.config.nats.servers ?? [], namespace: c.topology.namespace ?? null, ...provisioned },
    postgres: { url: pg.url, ...migrated },
  };
  output.result(result, () => {
    const list = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
    return [
      `NATS ${result.nats.servers.join(',')}${result.nats.namespace ? ` (namespace ${result.nats.namespace})` : ''}:`,
      `  created:   ${list(provisioned.created)}`,
      `  updated:   ${list(provisioned.updated.map((u) => `${u.name} (${u.fields.join(', ')})`))}`,
      `  unchanged: ${provisioned.unchanged.length}`,
      ...(provisioned.ignoredByServer.length > 0 ? [`  ignored by the server: ${list(provisioned.ignoredByServer.map((u) => `${u.name} (${u.fields.join(', ')})`))}`] : []),
      ...provisioned.disabledFeatures.map((f) => `  feature off: ${f}`),
      `PostgreSQL ${result.postgres.url}:`,
      `  applied:   ${list(migrated.applied)}`,
      `  already applied: ${migrated.alreadyApplied}`,
    ];
  });
  return result;
}
