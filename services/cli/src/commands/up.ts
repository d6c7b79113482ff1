import { createEvent, createStateStore, JetStreamKvStore, startLocalStack, type Stack } from '@mister-smith/core';

/** Options of `mister-smith up`. */
export interface UpOptions {
  readonly demo?: boolean;
  /** Stop after this many seconds (default: run until SIGINT/SIGTERM). */
  readonly duration?: number;
  readonly json?: boolean;
}

/**
 * Starts the stack (embedded NATS and PostgreSQL when NATS_URL / DATABASE_URL are unset),
 * provisions and migrates, and with `--demo` exercises the data plane: appends and reads back
 * events, writes and reads KV entries and agent state, printing what it did.
 */
export async function up(options: UpOptions, print: (line: string) => void): Promise<void> {
  const stack = await startLocalStack({ onProgress: (m) => print(m) });
  try {
    if (options.demo) await demo(stack, print);
    print('up: running; press Ctrl-C to stop');
    await waitForStop(options.duration);
    print('up: shutting down');
  } finally {
    await stack.close();
    print('up: stopped');
  }
}

async function demo(stack: Stack, print: (line: string) => void): Promise<void> {
  const log = stack.logs.agentState;
  const events = Array.from({ length: 3 }, (_, i) => createEvent({ type: 'DemoEvent', subject: 'agents.state.demo-agent', agentId: 'demo-agent', data: { n: i } }));
  const acks = await log.appendBatch(events);
  print(`demo: appended ${acks.length} events to ${log.stream} (seq ${acks[0]?.seq}..${acks.at(-1)?.seq})`);
  let read = 0;
  for await (const item of log.read({ filter: 'agents.state.demo-agent', from: { seq: acks[0]?.seq ?? 1 } })) if (item.kind === 'event') read++;
  print(`demo: read back ${read} events`);
  const cfg = await JetStreamKvStore.open(stack.nats, stack.topology.buckets.agentConfig.bucket);
  const rev = await cfg.put('demo.greeting', JSON.stringify({ hello: 'world' }));
  const got = await cfg.get('demo.greeting');
  print(`demo: KV ${cfg.bucket}/demo.greeting revision ${rev} = ${got ? new TextDecoder().decode(got.value) : 'missing'}`);
  const store = await createStateStore(stack);
  const w = await store.write('demo-agent', 'visits', ((await store.read('demo-agent', 'visits')) as number | undefined ?? 0) + 1, { durability: 'postgres' });
  print(`demo: agent demo-agent visits = ${String(w.value)} (version ${w.version.seq}, flushed to PostgreSQL)`);
  await store.close();
}

function waitForStop(durationSeconds?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    const timer = durationSeconds !== undefined ? setTimeout(done, durationSeconds * 1000) : undefined;
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
