import type { LifecycleConfig } from './lifecycleTypes.js';

/**
 * Delay before retry number `attempt` (1-based): `backoffBaseMs * 2^(attempt-1)`, capped at
 * `backoffMaxMs`. Deterministic, so machine tests can step a simulated clock exactly.
 */
export function backoffDelay(config: Pick<LifecycleConfig, 'backoffBaseMs' | 'backoffMaxMs'>, attempt: number): number {
  const n = Math.max(1, attempt);
  return Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.min(n - 1, 30));
}
