/**
 * The adapter's PostgreSQL tables, in their own schema (default `langgraph`). The checkpoint
 * tables are keyed like the upstream Postgres saver's (blobs by thread, namespace, channel and
 * version; writes by thread, namespace, checkpoint, task and index) plus the stream sequence of the
 * event each row came from, so replays never regress a row.
 * Position in the list is the version; append, never edit.
 */
export function langGraphMigrations(schema: string): readonly string[] {
  const s = `"${schema}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      thread_id text NOT NULL,
      checkpoint_ns text NOT NULL DEFAULT '',
      checkpoint_id text NOT NULL,
      parent_checkpoint_id text,
      checkpoint jsonb NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      seq bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    )`,
    `CREATE INDEX IF NOT EXISTS checkpoints_run_id ON ${s}.checkpoints ((metadata->>'run_id')) WHERE metadata ? 'run_id'`,
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoint_blobs (
      thread_id text NOT NULL,
      checkpoint_ns text NOT NULL DEFAULT '',
      channel text NOT NULL,
      version text NOT NULL,
      type text NOT NULL,
      blob bytea,
      PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoint_writes (
      thread_id text NOT NULL,
      checkpoint_ns text NOT NULL DEFAULT '',
      checkpoint_id text NOT NULL,
      task_id text NOT NULL,
      idx integer NOT NULL,
      channel text NOT NULL,
      type text,
      blob bytea NOT NULL,
      task_path text NOT NULL DEFAULT '',
      seq bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.thread_watermarks (
      thread_id text NOT NULL,
      checkpoint_ns text NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (thread_id, checkpoint_ns)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.thread_retention (
      thread_id text PRIMARY KEY,
      ttl_seconds integer NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS thread_retention_expires ON ${s}.thread_retention (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${s}.store (
      prefix text NOT NULL,
      key text NOT NULL,
      value jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      ttl_minutes double precision,
      PRIMARY KEY (prefix, key)
    )`,
    `CREATE INDEX IF NOT EXISTS store_prefix ON ${s}.store (prefix text_pattern_ops)`,
    `CREATE INDEX IF NOT EXISTS store_expires ON ${s}.store (expires_at) WHERE expires_at IS NOT NULL`,
    // Store items carry a version from one sequence, so the KV cache only ever moves forward (deletes included).
    `CREATE SEQUENCE IF NOT EXISTS ${s}.store_version`,
    `ALTER TABLE ${s}.store ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0`,
  ];
}
