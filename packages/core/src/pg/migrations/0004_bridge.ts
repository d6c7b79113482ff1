import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Tables of the PostgreSQL -> NATS bridge (services/bridge).
 *
 * - `mister_smith.outbox_payloads`: outbox payloads too large for one NATS message. The bridge copies
 *   the row here before it publishes a reference event (same type and subject, data
 *   `{ ref: { table: 'mister_smith.outbox_payloads', id: <outbox id> }, truncated: false, size, omitted, ...small scalar fields }`),
 *   so a consumer fetches the full payload with
 *   `SELECT payload FROM mister_smith.outbox_payloads WHERE outbox_id = $1`. Rows are pruned by the
 *   bridge after its payload retention (default 7 days, longer than any stream keeps the event).
 * - `outbox_published_idx`: lets the bridge prune published outbox rows without scanning the table.
 */
export const bridgeMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.outbox_payloads (
        outbox_id bigint PRIMARY KEY,
        subject text NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        size bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`CREATE INDEX outbox_payloads_created_idx ON mister_smith.outbox_payloads (created_at)`.execute(db);
    await sql`CREATE INDEX outbox_published_idx ON mister_smith.outbox (published_at) WHERE published_at IS NOT NULL`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX IF EXISTS mister_smith.outbox_published_idx`.execute(db);
    await sql`DROP TABLE IF EXISTS mister_smith.outbox_payloads`.execute(db);
  },
};
