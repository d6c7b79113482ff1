/** The state workload moved to core's test kit (`@mister-smith/core/testing`); re-exported for existing imports. */
export { expectedState, stateWorkload } from '@mister-smith/core/testing';
