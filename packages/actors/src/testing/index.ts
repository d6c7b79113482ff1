/**
 * Test kit of `@mister-smith/actors` (`@mister-smith/actors/testing`): an agent-type harness on
 * real servers. Environments and fixtures of the state plane are in `@mister-smith/core/testing`.
 *
 * @packageDocumentation
 */
export { startAgentHarness } from './startAgentHarness.js';
export type { AgentHarness, AgentHarnessOptions } from './startAgentHarness.js';
