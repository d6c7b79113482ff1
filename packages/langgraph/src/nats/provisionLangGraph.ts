import { bucketStreamConfigOf, classifyNatsError, jsApiCode, JsCodes, streamConfigOf, type NatsHandle } from '@mister-smith/core';
import type { LangGraphTopology } from './langGraphTopology.js';

/** Creates the adapter's stream and bucket when missing (idempotent; existing ones are kept as they are). */
export async function provisionLangGraph(nats: NatsHandle, topology: LangGraphTopology): Promise<void> {
  for (const cfg of [streamConfigOf(topology.stream), bucketStreamConfigOf(topology.bucket, nats.gates)]) {
    try {
      await nats.jsm.streams.info(cfg.name);
      continue;
    } catch (e) {
      if (jsApiCode(e) !== JsCodes.streamNotFound) throw classifyNatsError(e, `reading stream ${cfg.name}`);
    }
    try {
      await nats.jsm.streams.add(cfg);
    } catch (e) {
      // Another process created it between our info and add: same config, nothing to do.
      if (jsApiCode(e) === JsCodes.streamNameInUse) continue;
      throw classifyNatsError(e, `creating stream ${cfg.name}`);
    }
  }
}

/** Deletes the adapter's stream and bucket (tests, teardown). Missing ones are fine. */
export async function deprovisionLangGraph(nats: NatsHandle, topology: LangGraphTopology): Promise<void> {
  for (const name of [topology.stream.name, `KV_${topology.bucket.bucket}`]) {
    try { await nats.jsm.streams.delete(name); } catch (e) {
      if (jsApiCode(e) !== JsCodes.streamNotFound) throw classifyNatsError(e, `deleting stream ${name}`);
    }
  }
}
