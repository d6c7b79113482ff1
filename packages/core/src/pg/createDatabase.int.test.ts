import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createDatabase } from './createDatabase.js';

describe('createDatabase: framework sessions (no outbox echo)', () => {
  it('marks a framework session from its start: the mark survives RESET ALL and keeps the options of the connection string', async () => {
    await using env = await startTestEnv({ provision: false });
    const url = new URL(env.databaseUrl);
    url.searchParams.set('options', '-c statement_timeout=4321');
    await using pgh = await createDatabase(url.toString(), { max: 1 });
    const fw = pgh.framework();
    const settings = sql<{ origin: string | null; timeout: string }>`SELECT current_setting('mister_smith.origin', true) AS origin, current_setting('statement_timeout') AS timeout`;
    expect((await settings.execute(fw)).rows[0]).toEqual({ origin: 'framework', timeout: '4321ms' });
    // A session-level SET after connecting is undone by RESET ALL (and was lost silently when it
    // failed); a startup setting is the session's own default.
    await sql`RESET ALL`.execute(fw);
    expect((await settings.execute(fw)).rows[0]).toEqual({ origin: 'framework', timeout: '4321ms' });
  });

  it('writes through framework() without an outbox row; the same write on the ordinary pool gets one', async () => {
    await using env = await startTestEnv({ provision: false });
    const upsert = (agent: string) => sql`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES (${agent}, 'k', '1'::jsonb, 1, 1)`;
    await upsert('framework-writer').execute(env.pg.framework());
    await upsert('operator').execute(env.pg.db);
    const outbox = await env.pg.db.selectFrom('mister_smith.outbox').select(['subject']).execute();
    expect(outbox.map((r) => r.subject).filter((s) => s.includes('framework-writer'))).toEqual([]);
    expect(outbox.map((r) => r.subject).filter((s) => s.includes('operator')).length).toBe(1);
  });
});
