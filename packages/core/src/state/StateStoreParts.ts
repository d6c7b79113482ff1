import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventLog } from '../eventlog/EventLog.js';
import type { EventEnvelope } from '../events/EventEnvelope.js';
import type { KvStore } from '../kv/KvStore.js';
import type { StateRepository } from './StateRepository.js';
import type { LargeValueStore } from './largeValues.js';

/** The buckets without an owner that `shared()` opens. */
export type SharedBucketName = 'session' | 'agentConfig' | 'queryCache';

/**
 * What a state store runs on, as interfaces: the agent-state event log, the AGENT_STATE KV bucket,
 * the PostgreSQL state repository and a way to open the shared buckets. `createStateStore` builds
 * the JetStream/PostgreSQL ones from a connection (`openStateStoreParts`); tests pass in-memory ones.
 */
export interface StateStoreParts {
  readonly log: EventLog;
  readonly kv: KvStore;
  readonly repository: StateRepository;
  /** Opens a shared bucket; INVALID_ARGUMENT for an unknown name. */
  readonly openSharedBucket: (bucket: SharedBucketName) => Promise<KvStore>;
  /** Where values over the inline limit go by reference; without it they travel inline (up to the message limit). */
  readonly values?: LargeValueStore;
  /**
   * The event the PostgreSQL archive (`mister_smith.event_archive`, kept by the archive projection)
   * holds at a position of `log`'s stream, for a write's base version the stream no longer keeps.
   * Without it such a base is BASE_UNAVAILABLE.
   */
  readonly archivedEvent?: (epoch: number, seq: number) => Promise<EventEnvelope | undefined>;
  readonly logger?: Logger;
  readonly registry?: Registry;
}
