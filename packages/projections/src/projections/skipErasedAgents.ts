import { agentOfSubject, erasedAmong } from '@mister-smith/core';
import type { Projection } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';

/** The agent an item is about: its envelope's `agentId`, else the agent its subject names. */
export function agentOfItem(item: ProjectionItem): string | undefined {
  return (item.kind === 'event' ? item.event.agentId : undefined) ?? agentOfSubject(item.subject);
}

/**
 * Wraps a projection so it never writes anything of an erased agent (`mister_smith.erased_agents`,
 * read in the projection's own transaction): an event still in flight when the agent was erased, or
 * a rebuild that meets one, cannot bring it back. Live and rebuild paths both go through `apply`.
 */
export function skipErasedAgents(projection: Projection): Projection {
  return {
    ...projection,
    async apply(items, ctx) {
      const ids = new Set<string>();
      for (const item of items) {
        const id = agentOfItem(item);
        if (id !== undefined) ids.add(id);
      }
      const erased = await erasedAmong(ctx.trx, ids);
      await projection.apply(erased.size === 0 ? items : items.filter((i) => { const id = agentOfItem(i); return id === undefined || !erased.has(id); }), ctx);
    },
  };
}
