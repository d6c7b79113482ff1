import { spawn } from 'node:child_process';
import { msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { postgresUnknown } from '../connection/openClients.js';
import { resolveConnection } from '../connection/resolveConnection.js';

/** Options of `mister-smith sql`. */
export interface SqlShellOptions {
  /** The psql binary (default `psql` from PATH). */
  readonly psql?: string;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `mister-smith sql` did: ran psql (with its exit status) or printed the URL. */
export type SqlShellResult = { readonly ran: 'psql'; readonly exitCode: number } | { readonly ran: 'none'; readonly databaseUrl: string };

/**
 * `mister-smith sql [-- PSQL_ARGS...]`: opens `psql` on the stack's database (DATABASE_URL, else the
 * running `mister-smith up`), passing the extra arguments on (`-- -c "SELECT 1"`); without `psql`
 * on PATH, prints the URL to give any other client. Resolves with psql's exit status.
 *
 * @example
 * await sqlShell(['-c', 'SELECT count(*) FROM tasks.queue']);
 */
export async function sqlShell(args: readonly string[], options: SqlShellOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<SqlShellResult> {
  const resolved = await resolveConnection(options.env ?? process.env);
  const url = resolved.config.databaseUrl;
  if (url === undefined) throw postgresUnknown(resolved);
  const child = spawn(options.psql ?? 'psql', [url, ...args], { stdio: 'inherit' });
  const outcome = await new Promise<{ code: number } | { missing: true }>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') resolve({ missing: true });
      else reject(msError('INTERNAL', `cannot run psql: ${e.message}`, { cause: e }));
    });
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 + 2 : 1) }));
  });
  if ('missing' in outcome) {
    const result: SqlShellResult = { ran: 'none', databaseUrl: url };
    output.result(result, () => [`psql is not installed (not on PATH); connect any PostgreSQL client to:`, url]);
    return result;
  }
  return { ran: 'psql', exitCode: outcome.code };
}
