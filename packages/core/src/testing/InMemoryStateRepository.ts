import { compareVersions } from '../events/EventEnvelope.js';
import type { StateRow, UpsertReport } from '../pg/upsertStateRows.js';
import type { StateRepository } from '../state/StateRepository.js';
import type { VersionedValue } from '../state/VersionedValue.js';

/**
 * A {@link StateRepository} in memory with the same version guard as `upsertStateRows`: for unit
 * tests of the state store. `failNext(n)` makes the next `n` upserts fail (PostgreSQL down);
 * `upserts` counts the calls (one per flush transaction).
 */
export class InMemoryStateRepository implements StateRepository {
  readonly #rows = new Map<string, Map<string, VersionedValue>>();
  #failures = 0;
  upserts = 0;

  failNext(n = 1): void {
    this.#failures = n;
  }

  async get(agentId: string, key: string): Promise<VersionedValue | undefined> {
    return this.#rows.get(agentId)?.get(key);
  }

  async loadAgent(agentId: string): Promise<Map<string, VersionedValue>> {
    return new Map(this.#rows.get(agentId) ?? []);
  }

  async loadAgents(agentIds: readonly string[]): Promise<Map<string, Map<string, VersionedValue>>> {
    return new Map(agentIds.map((id) => [id, new Map(this.#rows.get(id) ?? [])]));
  }

  async upsert(rows: readonly StateRow[]): Promise<UpsertReport> {
    await Promise.resolve();
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error('connection refused (in-memory repository told to fail)');
    }
    this.upserts++;
    let written = 0;
    for (const r of rows) {
      let agent = this.#rows.get(r.agentId);
      if (!agent) { agent = new Map(); this.#rows.set(r.agentId, agent); }
      const prev = agent.get(r.stateKey);
      if (prev && compareVersions(prev, r) >= 0) continue;
      agent.set(r.stateKey, { epoch: r.epoch, seq: r.seq, strategy: r.strategy, value: r.tombstone ? null : r.value, stored: r.tombstone ? null : r.stored, ...(r.tombstone ? { tombstone: true } : {}) });
      written++;
    }
    return { written, skipped: rows.length - written };
  }
}
