import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Seed 6.4's triggers, made lossless: each writes an outbox row in the same transaction and
 * notifies only to wake the bridge. State edits made under `mister_smith.origin = 'framework'`
 * (flushes, projections, rebuilds) are skipped, so the framework never hears its own echo.
 * Subjects are stored without the namespace; the bridge adds it.
 */
export const outboxTriggers: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE OR REPLACE FUNCTION mister_smith.notify_agent_state_change() RETURNS trigger AS $$
      DECLARE
        v_row agents.state%ROWTYPE;
      BEGIN
        IF coalesce(current_setting('mister_smith.origin', true), '') = 'framework' THEN
          RETURN COALESCE(NEW, OLD);
        END IF;
        v_row := COALESCE(NEW, OLD);
        INSERT INTO mister_smith.outbox (subject, event_type, payload) VALUES (
          'agents.state.' || v_row.agent_id,
          'StateEditedInSql',
          jsonb_build_object(
            'operation', TG_OP,
            'agent_id', v_row.agent_id,
            'state_key', v_row.state_key,
            'old_value', CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN OLD.state_value ELSE NULL END,
            'new_value', CASE WHEN TG_OP != 'DELETE' THEN NEW.state_value ELSE NULL END,
            'tombstone', CASE WHEN TG_OP != 'DELETE' THEN NEW.tombstone ELSE true END,
            'version', v_row.version,
            'version_epoch', v_row.version_epoch,
            'timestamp', EXTRACT(epoch FROM clock_timestamp())
          ));
        PERFORM pg_notify('mister_smith_outbox', '');
        RETURN COALESCE(NEW, OLD);
      END;
      $$ LANGUAGE plpgsql`.execute(db);
    await sql`
      CREATE TRIGGER trigger_agent_state_outbox
        AFTER INSERT OR UPDATE OR DELETE ON agents.state
        FOR EACH ROW EXECUTE FUNCTION mister_smith.notify_agent_state_change()`.execute(db);
    // An operator who edits state_value in SQL edits the user-visible value; the strategy's stored
    // form (meta) no longer matches it, so it is dropped and rebuilt from the value on the next write.
    await sql`
      CREATE OR REPLACE FUNCTION mister_smith.reset_meta_on_sql_edit() RETURNS trigger AS $$
      BEGIN
        IF coalesce(current_setting('mister_smith.origin', true), '') <> 'framework'
           AND NEW.state_value IS DISTINCT FROM OLD.state_value
           AND NEW.meta IS NOT DISTINCT FROM OLD.meta THEN
          NEW.meta := NULL;
        END IF;
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql`.execute(db);
    await sql`
      CREATE TRIGGER trigger_agent_state_reset_meta
        BEFORE UPDATE ON agents.state
        FOR EACH ROW EXECUTE FUNCTION mister_smith.reset_meta_on_sql_edit()`.execute(db);
    await sql`
      CREATE OR REPLACE FUNCTION mister_smith.notify_task_lifecycle_change() RETURNS trigger AS $$
      DECLARE
        v_phase text;
      BEGIN
        v_phase := CASE
          WHEN TG_OP = 'INSERT' THEN 'created'
          WHEN OLD.status IS DISTINCT FROM NEW.status THEN
            CASE NEW.status
              WHEN 'running' THEN 'started'
              WHEN 'completed' THEN 'completed'
              WHEN 'failed' THEN 'failed'
              WHEN 'cancelled' THEN 'cancelled'
              ELSE 'updated'
            END
          ELSE 'updated'
        END;
        INSERT INTO mister_smith.outbox (subject, event_type, payload) VALUES (
          'tasks.' || v_phase || '.' || NEW.task_id::text,
          'Task' || initcap(v_phase),
          jsonb_build_object(
            'task_id', NEW.task_id,
            'task_type', NEW.task_type,
            'status', NEW.status,
            'previous_status', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status ELSE NULL END,
            'assigned_agent_id', NEW.assigned_agent_id,
            'priority', NEW.priority,
            'attempts', NEW.attempts,
            'payload', NEW.payload,
            'result', NEW.result,
            'error', NEW.error,
            'timestamp', EXTRACT(epoch FROM clock_timestamp()),
            'metadata', NEW.metadata
          ));
        PERFORM pg_notify('mister_smith_outbox', '');
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql`.execute(db);
    await sql`
      CREATE TRIGGER trigger_task_lifecycle_outbox
        AFTER INSERT OR UPDATE ON tasks.queue
        FOR EACH ROW EXECUTE FUNCTION mister_smith.notify_task_lifecycle_change()`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TRIGGER IF EXISTS trigger_agent_state_outbox ON agents.state`.execute(db);
    await sql`DROP TRIGGER IF EXISTS trigger_agent_state_reset_meta ON agents.state`.execute(db);
    await sql`DROP FUNCTION IF EXISTS mister_smith.reset_meta_on_sql_edit()`.execute(db);
    await sql`DROP TRIGGER IF EXISTS trigger_task_lifecycle_outbox ON tasks.queue`.execute(db);
    await sql`DROP FUNCTION IF EXISTS mister_smith.notify_agent_state_change()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS mister_smith.notify_task_lifecycle_change()`.execute(db);
  },
};
