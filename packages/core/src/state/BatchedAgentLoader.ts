import { KeyBatcher, type KeyBatcherOptions } from '../util/KeyBatcher.js';
import type { AgentRowSource } from './loadAgentView.js';
import type { StateRepository } from './StateRepository.js';
import type { VersionedValue } from './VersionedValue.js';

/**
 * Loads agents' PostgreSQL rows with concurrent loads coalesced into one `loadAgents` statement
 * (`agent_id = ANY($1)`): what lets many activations or `readAll`s share one round trip. Each
 * caller gets its own map.
 */
export class BatchedAgentLoader implements AgentRowSource {
  readonly #batcher: KeyBatcher<Map<string, VersionedValue>>;

  constructor(repository: StateRepository, options: Pick<KeyBatcherOptions<unknown>, 'maxInFlight' | 'maxBatch'> = {}) {
    this.#batcher = new KeyBatcher((ids) => repository.loadAgents(ids), { ...options, missing: () => new Map(), copy: (m) => new Map(m) });
  }

  /** Statements sent so far. */
  get statements(): number {
    return this.#batcher.batches;
  }

  loadAgent(agentId: string): Promise<Map<string, VersionedValue>> {
    return this.#batcher.load(agentId);
  }
}
