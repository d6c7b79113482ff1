import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `mister_smith.erased_agents`: one row per erased agent (ARCHITECTURE decision 6). Projections and
 * the bridge consult it, so an event still in flight or a later rebuild cannot bring the agent back.
 * The row keeps what the erasure removed from each store (counts only, never the agent's data).
 */
export const governanceMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.erased_agents (
        agent_id text PRIMARY KEY,
        erased_at timestamptz NOT NULL DEFAULT now(),
        removed jsonb NOT NULL DEFAULT '{}'::jsonb
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE IF EXISTS mister_smith.erased_agents`.execute(db);
  },
};
