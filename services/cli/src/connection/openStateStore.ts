import { hostname } from 'node:os';
import { createStateStore, type StateStore } from '@mister-smith/core';
import type { Clients } from './openClients.js';

/** The writer id the CLI stamps on its writes: `cli-<host>-<pid>`. */
export function cliWriterId(): string {
  return `cli-${hostname().replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'host'}-${process.pid}`;
}

/**
 * A state store for one command: no KV watch and no L1 cache (every read goes to KV or
 * PostgreSQL), flushed and closed by the caller.
 */
export function openStateStore(c: Clients): Promise<StateStore> {
  return createStateStore({ nats: c.nats, pg: c.requirePg(), topology: c.topology }, { writerId: cliWriterId(), watch: false, cache: { maxEntries: 0 } });
}
