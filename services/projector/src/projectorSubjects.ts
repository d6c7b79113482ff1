import { namespacedSubject } from '@mister-smith/core';

/** The commands a projector answers. */
export type ProjectorVerb = 'status' | 'pause' | 'resume' | 'rebuild';

/** The verbs, in a stable order. */
export const PROJECTOR_VERBS: readonly ProjectorVerb[] = ['status', 'pause', 'resume', 'rebuild'];

/** The request subject of a verb: `<ns.>mister-smith.projector.<verb>`. */
export function projectorSubject(namespace: string | undefined, verb: ProjectorVerb): string {
  return namespacedSubject(namespace, `mister-smith.projector.${verb}`);
}
