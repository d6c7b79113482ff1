import { randomBytes } from 'node:crypto';
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { connectNats, createDatabase, type DatabaseHandle, type Durability, type NatsHandle } from '@mister-smith/core';
import { deprovisionLangGraph } from '../nats/provisionLangGraph.js';
import { MisterSmithSaver } from '../saver/MisterSmithSaver.js';

/** Options of `createValidationInitializer`; unset fields come from the environment. */
export interface ValidationOptions {
  /** Default: `NATS_URL`, else `nats://127.0.0.1:4222`. */
  readonly natsUrl?: string;
  /** Default: `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`. */
  readonly databaseUrl?: string;
  /** Prefix of the per-checkpointer namespace (lower-case letters, digits, `_`). Default `lgv`. */
  readonly namespacePrefix?: string;
  readonly durability?: Durability;
}

/**
 * The initializer that `@langchain/langgraph-checkpoint-validation` takes: every checkpointer it
 * creates gets its own Mister Smith namespace (stream and bucket) and its own PostgreSQL schema,
 * both removed by `destroyCheckpointer`.
 *
 * @example
 * // npx validate-checkpointer @mister-smith/langgraph/validation
 * // or, in a vitest file: validate(createValidationInitializer({ databaseUrl }))
 */
export function createValidationInitializer(options: ValidationOptions = {}): CheckpointSaverTestInitializer<MisterSmithSaver> {
  let nats: NatsHandle | undefined;
  let pg: DatabaseHandle | undefined;
  const made = new Map<MisterSmithSaver, string>();
  const prefix = options.namespacePrefix ?? 'lgv';
  return {
    checkpointerName: '@mister-smith/langgraph',
    beforeAllTimeout: 30_000,
    async beforeAll() {
      nats = await connectNats({ servers: [options.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222'], name: 'langgraph-validation' });
      pg = await createDatabase(options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { max: 8 });
    },
    async afterAll() {
      for (const saver of [...made.keys()]) await this.destroyCheckpointer!(saver);
      await nats?.close();
      await pg?.close();
    },
    async createCheckpointer() {
      if (!nats || !pg) throw new Error('beforeAll has not run');
      const id = `${prefix}_${randomBytes(4).toString('hex')}`;
      const saver = await MisterSmithSaver.open({ nats, pg, namespace: id, schema: id, profile: 'test', ...(options.durability ? { durability: options.durability } : {}) });
      made.set(saver, id);
      return saver;
    },
    async destroyCheckpointer(saver: MisterSmithSaver) {
      const id = made.get(saver);
      if (id === undefined || !nats || !pg) return;
      made.delete(saver);
      await saver.close();
      await deprovisionLangGraph(nats, saver.topology);
      await pg.withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${id}" CASCADE`));
    },
  };
}

/** The initializer configured from the environment (`NATS_URL`, `DATABASE_URL`). */
const initializer: CheckpointSaverTestInitializer<MisterSmithSaver> = createValidationInitializer();
export default initializer;
