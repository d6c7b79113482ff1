import type { RunnableConfig } from '@langchain/core/runnables';
import { LangGraphError } from '../errors/LangGraphError.js';

/** The identifying fields of a config, validated. */
export interface ThreadRef {
  readonly threadId: string;
  readonly ns: string;
  readonly checkpointId: string | undefined;
}

/** Reads thread_id / checkpoint_ns / checkpoint_id from `config.configurable`; INVALID_CONFIG when thread_id is missing. */
export function threadRefOf(config: RunnableConfig, what: string): ThreadRef {
  const c = config.configurable;
  if (c === undefined) throw new LangGraphError('INVALID_CONFIG', `${what}: the config has no "configurable" field`);
  const threadId: unknown = c.thread_id;
  if (typeof threadId !== 'string' && typeof threadId !== 'number') {
    throw new LangGraphError('INVALID_CONFIG', `${what}: configurable.thread_id is required (a string)`, { details: { threadId } });
  }
  const ns: unknown = c.checkpoint_ns ?? '';
  if (typeof ns !== 'string') throw new LangGraphError('INVALID_CONFIG', `${what}: configurable.checkpoint_ns must be a string`, { details: { ns } });
  const id: unknown = c.checkpoint_id;
  if (id !== undefined && id !== null && id !== '' && typeof id !== 'string') throw new LangGraphError('INVALID_CONFIG', `${what}: configurable.checkpoint_id must be a string`);
  return { threadId: String(threadId), ns, checkpointId: typeof id === 'string' && id !== '' ? id : undefined };
}

/** The config LangGraph expects back for a stored checkpoint. */
export function configOf(threadId: string, ns: string, checkpointId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId } };
}
