import type { StateRow, UpsertReport } from '../pg/upsertStateRows.js';
import type { VersionedValue } from './VersionedValue.js';
import type { CommandResult } from '../commands/CommandResult.js';

/**
 * The durable copy of agent state (`agents.state` in PostgreSQL): what the state store reads on a
 * cache miss and at hydration, and where write-behind flushes go. Writes are version-guarded, so a
 * stale, duplicate or replayed row never overwrites a newer one. `PostgresStateRepository`
 * implements it; `InMemoryStateRepository` (in `@mister-smith/core/testing`) backs unit tests.
 */
export interface StateRepository {
  /** One key's row (tombstones included), or undefined. */
  get(agentId: string, key: string): Promise<VersionedValue | undefined>;
  /** Every row of an agent, tombstones included, by state key. */
  loadAgent(agentId: string): Promise<Map<string, VersionedValue>>;
  /**
   * Every row of many agents in one round trip (one statement), by agent then state key. Every
   * requested agent is in the result, with an empty map when it has no rows.
   */
  loadAgents(agentIds: readonly string[]): Promise<Map<string, Map<string, VersionedValue>>>;
  /**
   * The version-guarded upsert of many rows in one statement, and the results of the commands
   * that wrote them (`mister_smith.command_results`, first record wins) in the same transaction.
   */
  upsert(rows: readonly StateRow[], commands?: readonly CommandResult[]): Promise<UpsertReport>;
}
