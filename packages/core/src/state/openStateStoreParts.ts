import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Topology } from '../config/topology.js';
import { msError } from '../errors/MisterSmithError.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import type { NatsHandle } from '../nats/connectNats.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import { JetStreamLargeValues } from './largeValues.js';
import { archivedMessageAt } from '../pg/readArchive.js';
import { pgFailure } from '../pg/pgFailure.js';
import { decodeArchivedEvent } from '../subscribe/archivedEventItem.js';
import { PostgresStateRepository } from './PostgresStateRepository.js';
import type { StateStoreParts } from './StateStoreParts.js';

/** What the state store runs on in production: a NATS connection, a database and the topology. */
export interface StateStoreDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

/** The JetStream event log and KV bucket and the PostgreSQL repository of a provisioned topology. */
export async function openStateStoreParts(deps: StateStoreDeps): Promise<StateStoreParts> {
  const { nats, pg, topology } = deps;
  const spec = topology.buckets.agentState;
  const kv = await JetStreamKvStore.open(nats, spec.bucket, spec.maxValueSize !== undefined ? { maxValueSize: spec.maxValueSize } : {});
  const log = new JetStreamEventLog(nats, topology.streams.agentState, { namespace: topology.namespace });
  return {
    log,
    kv,
    repository: new PostgresStateRepository(pg),
    values: JetStreamLargeValues.of(nats, topology.objects.largeValues),
    async archivedEvent(epoch, seq) {
      const m = await archivedMessageAt(pg.db, log.stream, epoch, seq).catch((e: unknown) => { throw pgFailure(e, `reading the archived event ${log.stream}#${seq}`); });
      return m ? decodeArchivedEvent(m) : undefined;
    },
    async openSharedBucket(bucket) {
      const shared = topology.buckets[bucket];
      if (!shared) throw msError('INVALID_ARGUMENT', `unknown shared bucket ${JSON.stringify(bucket)}: use session, agentConfig or queryCache`);
      return JetStreamKvStore.open(nats, shared.bucket);
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
  };
}
