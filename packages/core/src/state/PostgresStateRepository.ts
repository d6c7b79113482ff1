import { msError } from '../errors/MisterSmithError.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import type { AgentStateTable } from '../pg/schema.js';
import { upsertStateRows, type StateRow, type UpsertReport } from '../pg/upsertStateRows.js';
import { recordCommandResults } from '../pg/recordCommandResults.js';
import type { CommandResult } from '../commands/CommandResult.js';
import type { Selectable } from 'kysely';
import type { StrategyName } from './stateEvents.js';
import type { StateRepository } from './StateRepository.js';
import type { VersionedValue } from './VersionedValue.js';

/** A row of `agents.state` as a {@link VersionedValue} (the `meta` column is `stored`). */
type StateRowColumns = Pick<Selectable<AgentStateTable>, 'agent_id' | 'state_key' | 'state_value' | 'meta' | 'strategy' | 'version_epoch' | 'version' | 'tombstone'>;

function toVersionedValue(row: StateRowColumns): VersionedValue {
  return { epoch: row.version_epoch, seq: row.version, strategy: row.strategy as StrategyName, value: row.state_value, stored: row.meta, ...(row.tombstone ? { tombstone: true } : {}) };
}

const LOAD_AGENTS = 'SELECT agent_id, state_key, state_value, meta, strategy, version_epoch, version, tombstone FROM agents.state WHERE agent_id = ANY($1::text[])';

/**
 * {@link StateRepository} over `agents.state`. Reads use the main pool; writes go through
 * `upsertStateRows` on the framework pool, whose sessions are marked so the outbox triggers skip them.
 */
export class PostgresStateRepository implements StateRepository {
  readonly #pg: DatabaseHandle;

  constructor(pg: DatabaseHandle) {
    this.#pg = pg;
  }

  async get(agentId: string, key: string): Promise<VersionedValue | undefined> {
    const row = await this.#pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).where('state_key', '=', key).executeTakeFirst()
      .catch((e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `reading ${agentId}/${key} from PostgreSQL failed`, { cause: e }); });
    return row ? toVersionedValue(row) : undefined;
  }

  async loadAgent(agentId: string): Promise<Map<string, VersionedValue>> {
    const rows = await this.#pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).execute()
      .catch((e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `loading ${agentId} from PostgreSQL failed`, { cause: e }); });
    return new Map(rows.map((r) => [r.state_key, toVersionedValue(r)]));
  }

  async loadAgents(agentIds: readonly string[]): Promise<Map<string, Map<string, VersionedValue>>> {
    const out = new Map<string, Map<string, VersionedValue>>();
    for (const id of agentIds) out.set(id, new Map());
    if (agentIds.length === 0) return out;
    // One statement whatever the count (= ANY of one array parameter, not IN with N parameters),
    // prepared once per connection: activations and readAll run it all the time.
    const { rows } = await this.#pg.withClient((c) => c.query<StateRowColumns>({ name: 'ms_load_agents', text: LOAD_AGENTS, values: [[...out.keys()]] }))
      .catch((e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `loading ${agentIds.length} agents from PostgreSQL failed`, { cause: e, details: { agents: agentIds.length } }); });
    for (const r of rows) out.get(r.agent_id)?.set(r.state_key, toVersionedValue(r));
    return out;
  }

  upsert(rows: readonly StateRow[], commands: readonly CommandResult[] = []): Promise<UpsertReport> {
    // One statement is atomic on its own; the framework pool's sessions carry the origin marker.
    if (commands.length === 0) return upsertStateRows(this.#pg.framework(), rows);
    return this.#pg.framework().transaction().execute(async (trx) => {
      const report = await upsertStateRows(trx, rows);
      await recordCommandResults(trx, commands);
      return report;
    });
  }
}
