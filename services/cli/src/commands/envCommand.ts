import { msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { resolveConnection } from '../connection/resolveConnection.js';

/** Options of `mister-smith env`. */
export interface EnvOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Quotes a value for a POSIX shell. */
function shellQuote(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * `mister-smith env`: the connection variables of the servers the other commands would use (the
 * environment, else the running `mister-smith up` of the data folder) as `export` lines, so a
 * shell, `psql` or `nats` reaches the same servers: `eval "$(mister-smith env)"`. The database URL
 * carries the embedded server's password, as stack.json (mode 0600) does.
 *
 * @example
 * const vars = await envCommand();
 */
export async function envCommand(options: EnvOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<Record<string, string>> {
  const resolved = await resolveConnection(options.env ?? process.env);
  const { config } = resolved;
  if (resolved.natsFrom === 'default' && config.databaseUrl === undefined) {
    throw msError('INVALID_CONFIG', `no servers to print: NATS_URL and DATABASE_URL are not set and no running "mister-smith up" was found (${resolved.stackFile}); start "mister-smith up" first`);
  }
  const vars: Record<string, string> = {
    NATS_URL: (config.nats.servers ?? []).join(','),
    ...(config.databaseUrl !== undefined ? { DATABASE_URL: config.databaseUrl } : {}),
    ...(config.namespace !== undefined ? { MISTER_SMITH_NAMESPACE: config.namespace } : {}),
    MISTER_SMITH_PROFILE: config.profile,
  };
  output.result(vars, () => [
    `# servers from ${resolved.natsFrom === 'stack-file' || resolved.databaseFrom === 'stack-file' ? resolved.stackFile : 'the environment'}; use: eval "$(mister-smith env)"`,
    ...Object.entries(vars).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
  ]);
  return vars;
}
