import { backoffMs } from '@mister-smith/core/util';
import type { LifecycleConfig } from './lifecycleTypes.js';

/**
 * Delay before retry number `attempt` (1-based): `backoffBaseMs * 2^(attempt-1)`, capped at
 * `backoffMaxMs`. Deterministic, so machine tests can step a simulated clock exactly.
 */
export function backoffDelay(config: Pick<LifecycleConfig, 'backoffBaseMs' | 'backoffMaxMs'>, attempt: number): number {
  return backoffMs(attempt, { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs });
}
