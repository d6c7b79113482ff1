import { sql, type Kysely, type Migration } from 'kysely';

/** Schemas and tables of seed sections 3, 4 and 6.4, plus the project's own bookkeeping. */
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`CREATE SCHEMA IF NOT EXISTS agents`.execute(db);
    await sql`CREATE SCHEMA IF NOT EXISTS tasks`.execute(db);
    await sql`CREATE SCHEMA IF NOT EXISTS mister_smith`.execute(db);
    await sql`
      CREATE TABLE agents.registry (
        agent_id text PRIMARY KEY,
        agent_type text NOT NULL,
        status text NOT NULL DEFAULT 'COLD',
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        supervisor_id text,
        last_transition_at timestamptz,
        last_heartbeat_at timestamptz,
        version_epoch bigint NOT NULL DEFAULT 0,
        version_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`CREATE INDEX registry_status_idx ON agents.registry (status)`.execute(db);
    await sql`
      CREATE TABLE agents.state (
        agent_id text NOT NULL,
        state_key text NOT NULL,
        state_value jsonb,
        meta jsonb,
        version_epoch bigint NOT NULL,
        version bigint NOT NULL,
        tombstone boolean NOT NULL DEFAULT false,
        strategy text NOT NULL DEFAULT 'lww',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, state_key)
      )`.execute(db);
    await sql`
      CREATE TABLE tasks.queue (
        task_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        task_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
        assigned_agent_id text,
        priority integer NOT NULL DEFAULT 0,
        payload jsonb,
        result jsonb,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`CREATE INDEX queue_status_idx ON tasks.queue (status, priority DESC, created_at)`.execute(db);
    await sql`
      CREATE TABLE mister_smith.projection_checkpoints (
        projection text PRIMARY KEY,
        stream text NOT NULL,
        epoch bigint NOT NULL DEFAULT 0,
        seq bigint NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'running',
        reason text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`
      CREATE TABLE mister_smith.event_archive (
        stream text NOT NULL,
        epoch bigint NOT NULL,
        seq bigint NOT NULL,
        subject text NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        agent_id text,
        envelope jsonb NOT NULL,
        stored_at timestamptz NOT NULL,
        PRIMARY KEY (stream, epoch, seq)
      )`.execute(db);
    await sql`
      CREATE TABLE mister_smith.dead_letters (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        stream text,
        seq bigint,
        subject text,
        reason text NOT NULL,
        payload text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`
      CREATE TABLE mister_smith.outbox (
        id bigserial PRIMARY KEY,
        subject text NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`.execute(db);
    await sql`CREATE INDEX outbox_unpublished_idx ON mister_smith.outbox (id) WHERE published_at IS NULL`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP SCHEMA IF EXISTS agents CASCADE`.execute(db);
    await sql`DROP SCHEMA IF EXISTS tasks CASCADE`.execute(db);
    await sql`DROP TABLE IF EXISTS mister_smith.projection_checkpoints, mister_smith.event_archive, mister_smith.dead_letters, mister_smith.outbox`.execute(db);
  },
};
