export { agentLifecycleMachine } from './lifecycle/agentLifecycleMachine.js';
