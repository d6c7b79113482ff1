import type { MisterSmithConfig } from '../config/loadConfig.js';
import type { Topology } from '../config/topology.js';
import type { LocalNats } from '../embedded/startLocalNats.js';
import type { LocalPostgres } from '../embedded/startLocalPostgres.js';
import type { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import type { NatsHandle } from '../nats/connectNats.js';
import type { ProvisionReport } from '../nats/provision.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import type { MigrationReport } from '../pg/migrateToLatest.js';

/**
 * A connected, provisioned and migrated stack: what every service, the state store and the
 * projections start from (`openMisterSmith` on URLs, `startLocalStack` with local servers).
 */
export interface Stack extends AsyncDisposable {
  readonly config: MisterSmithConfig;
  readonly topology: Topology;
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly logs: { readonly agentState: JetStreamEventLog; readonly taskExecution: JetStreamEventLog; readonly agentMessages: JetStreamEventLog };
  readonly provisioned: ProvisionReport;
  readonly migrated: MigrationReport;
  /** Which servers were started here (embedded) rather than reached by URL. */
  readonly embedded: { readonly nats?: LocalNats; readonly postgres?: LocalPostgres };
  /** Closes connections and stops embedded servers. */
  close(): Promise<void>;
}
