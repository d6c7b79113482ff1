import type { Command } from 'commander';
import { jsonValue } from './cli/parsers.js';

type Leaf = (cmd: Command, example: string) => Command;
type Lazy = <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) => (...args: A) => Promise<void>;

/**
 * Adds the agent runtime's commands under `agents`: `timers <id>`, `timers cancel <id> <timerId>`,
 * `resume <id> <requestId> <json>`, `fork <id> --at <rev> --to <newId>`.
 */
export function addRuntimeCommands(agents: Command, leaf: Leaf, lazy: Lazy): void {
  const timers = leaf(agents.command('timers').description("an agent's durable timers (id, command, schedule, next due time), or cancel one")
    .argument('<id>', 'agent id'), 'mister-smith agents timers a1\nmister-smith agents timers cancel a1 tick')
    .action(lazy(async (id: string, opts: { json?: boolean }) => {
      const { agentsTimers } = await import('./commands/agentsTimers.js');
      await agentsTimers(id, opts);
    }));
  leaf(timers.command('cancel').description('cancel a timer through the agent\'s owner').argument('<id>', 'agent id').argument('<timerId>', 'timer id'), 'mister-smith agents timers cancel a1 tick')
    .action(lazy(async (id: string, timerId: string, opts: { json?: boolean }) => {
      const { agentsTimersCancel } = await import('./commands/agentsTimers.js');
      await agentsTimersCancel(id, timerId, opts);
    }));
  leaf(agents.command('resume').description('answer a pending human-in-the-loop request (once per request id), activating the agent if COLD')
    .argument('<id>', 'agent id').argument('<requestId>', 'request id (see agents list --waiting)').argument('<json>', 'the answer, as JSON', jsonValue), `mister-smith agents resume a1 approve-7 '{"approved":true}'`)
    .action(lazy(async (id: string, requestId: string, value: unknown, opts: { json?: boolean }) => {
      const { agentsResume } = await import('./commands/agentsResume.js');
      await agentsResume(id, requestId, value, opts);
    }));
  leaf(agents.command('fork').description('a new agent whose state starts from another\'s at a revision or time (timers and pending requests are not copied)')
    .argument('<id>', 'source agent id').requiredOption('--at <revision|time>', 'revision (stream sequence) or ISO-8601 time').requiredOption('--to <newId>', 'id of the new agent'), 'mister-smith agents fork c1 --at 12 --to c1-what-if')
    .action(lazy(async (id: string, opts: { at: string; to: string; json?: boolean }) => {
      const { agentsFork } = await import('./commands/agentsAt.js');
      await agentsFork(id, opts.at, opts.to, opts);
    }));
}
