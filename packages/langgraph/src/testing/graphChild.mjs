// A LangGraph process for the kill -9 test: runs a counting graph on MisterSmithSaver, prints
// `ACK <checkpoint id>` once each put is acknowledged, and blocks inside the superstep that
// reaches STOP_AT (printing `BLOCKED`) until it is killed.
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { connectNats, createDatabase } from '@mister-smith/core';
import { MisterSmithSaver } from '@mister-smith/langgraph';

const stopAt = Number(process.env.STOP_AT ?? 5);
const nats = await connectNats({ servers: [process.env.NATS_URL] });
const pg = await createDatabase(process.env.DATABASE_URL, { max: 2 });
const saver = await MisterSmithSaver.open({ nats, pg, namespace: process.env.MISTER_SMITH_NAMESPACE, profile: 'test' });
const put = saver.put.bind(saver);
saver.put = async (...args) => {
  const config = await put(...args);
  process.stdout.write(`ACK ${config.configurable.checkpoint_id}\n`);
  return config;
};
const State = Annotation.Root({ n: Annotation({ reducer: (_, b) => b, default: () => 0 }) });
const graph = new StateGraph(State)
  .addNode('count', async (s) => {
    if (s.n + 1 === stopAt) {
      process.stdout.write('BLOCKED\n');
      await new Promise(() => undefined); // killed here, between the checkpoints of two supersteps
    }
    return { n: s.n + 1 };
  })
  .addEdge(START, 'count')
  .addConditionalEdges('count', (s) => (s.n < 100 ? 'count' : END))
  .compile({ checkpointer: saver });
await graph.invoke({ n: 0 }, { configurable: { thread_id: process.env.THREAD_ID }, recursionLimit: 1000 });
