import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `mister_smith.agent_snapshots`: an agent's whole state folded up to one stream position (epoch,
 * seq), written every N events (ARCHITECTURE decision 5: history is the latest snapshot at or
 * before N plus the events after it). Archive retention only prunes events a snapshot covers.
 * It has an `agent_id` column, so erasure sweeps it.
 */
export const snapshotsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.agent_snapshots (
        agent_id text NOT NULL,
        epoch bigint NOT NULL,
        seq bigint NOT NULL,
        state jsonb NOT NULL,
        event_time timestamptz,
        events bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, epoch, seq)
      )`.execute(db);
    await sql`CREATE INDEX agent_snapshots_time ON mister_smith.agent_snapshots (agent_id, event_time)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE IF EXISTS mister_smith.agent_snapshots`.execute(db);
  },
};
