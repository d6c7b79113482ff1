import { sleep } from '@mister-smith/core/util';
import { MisterSmithError, type StateStore } from '@mister-smith/core';

/** One acknowledged write: the value and the stream sequence it was acknowledged with. */
export interface AckedWrite {
  readonly value: number;
  readonly seq: number;
  readonly epoch: number;
}

/** Everything one writer did to one key. Values written to a key only ever increase. */
export interface KeyLedger {
  readonly agentId: string;
  readonly key: string;
  readonly writer: string;
  readonly acked: AckedWrite[];
  /** Highest value sent (acknowledged or not): an unacknowledged write may still have committed. */
  maxAttempted: number;
}

/** One writer of the load: a state store on its own connections and the agents it alone writes. */
export interface LoadWriter {
  readonly id: string;
  readonly store: StateStore;
  readonly agents: readonly string[];
}

/** A running write load. */
export interface WriteLoad {
  /** Per `<agentId>.<key>`. */
  readonly ledger: ReadonlyMap<string, KeyLedger>;
  /** Acknowledged writes so far, in total and per writer. */
  acked(writer?: string): number;
  /** Rejected writes per error code (`UNTYPED:<name>` for errors without a Mister Smith code). */
  readonly rejected: ReadonlyMap<string, number>;
  /** The first messages seen per rejection code, for the report. */
  readonly rejectionSamples: ReadonlyMap<string, readonly string[]>;
  /** Acknowledged writes whose sequence was not above the key's previous acknowledged one. */
  readonly outOfOrderAcks: number;
  /** Stops every loop and waits for in-flight writes to settle. */
  stop(): Promise<void>;
}

/** Options of `startWriteLoad`. */
export interface WriteLoadOptions {
  /** Keys written per agent, alternately (default `['n', 'm']`). */
  readonly keys?: readonly string[];
  /** Pause between two writes of one agent loop (default 10 ms): a steady load, not a flood. */
  readonly pauseMs?: number;
  /** Pause after a rejected write (default 200 ms). */
  readonly pauseAfterErrorMs?: number;
  /** Hard bound on writes per agent loop (default 100,000). */
  readonly maxWritesPerAgent?: number;
  /** Hard bound on the load's duration (default 5 min). */
  readonly maxDurationMs?: number;
}

/**
 * Runs one sequential write loop per agent: each key is written by one writer only, with
 * increasing values, and every acknowledged write is recorded with its version. Rejections are
 * counted by error code and the loop goes on (clients reconnect on their own).
 */
export function startWriteLoad(writers: readonly LoadWriter[], options: WriteLoadOptions = {}): WriteLoad {
  const keys = options.keys ?? ['n', 'm'];
  const pauseMs = options.pauseMs ?? 10;
  const pauseAfterErrorMs = options.pauseAfterErrorMs ?? 200;
  const maxWrites = options.maxWritesPerAgent ?? 100_000;
  const deadline = Date.now() + (options.maxDurationMs ?? 300_000);
  const ledger = new Map<string, KeyLedger>();
  const ackedBy = new Map<string, number>();
  const rejected = new Map<string, number>();
  const rejectionSamples = new Map<string, string[]>();
  let outOfOrderAcks = 0;
  let stopped = false;

  const loop = async (w: LoadWriter, agentId: string) => {
    for (const key of keys) ledger.set(`${agentId}.${key}`, { agentId, key, writer: w.id, acked: [], maxAttempted: 0 });
    for (let i = 1; i <= maxWrites && !stopped && Date.now() < deadline; i++) {
      const key = keys[i % keys.length]!;
      const entry = ledger.get(`${agentId}.${key}`)!;
      const value = entry.maxAttempted + 1;
      entry.maxAttempted = value;
      try {
        const r = await w.store.write(agentId, key, value);
        const prev = entry.acked.at(-1);
        if (prev && (prev.epoch > r.version.epoch || (prev.epoch === r.version.epoch && prev.seq >= r.version.seq))) outOfOrderAcks++;
        entry.acked.push({ value, seq: r.version.seq, epoch: r.version.epoch });
        ackedBy.set(w.id, (ackedBy.get(w.id) ?? 0) + 1);
        await sleep(pauseMs);
      } catch (e) {
        const code = MisterSmithError.is(e) ? e.code : `UNTYPED:${(e as Error)?.constructor?.name ?? typeof e}`;
        rejected.set(code, (rejected.get(code) ?? 0) + 1);
        const samples = rejectionSamples.get(code) ?? [];
        if (samples.length < 3) samples.push(`${w.id} ${agentId}.${key}: ${(e as Error)?.message ?? String(e)}`);
        rejectionSamples.set(code, samples);
        await sleep(pauseAfterErrorMs);
      }
    }
  };
  const running = writers.flatMap((w) => w.agents.map((a) => loop(w, a)));
  const all = Promise.all(running);
  return {
    ledger,
    acked: (writer) => (writer === undefined ? [...ackedBy.values()].reduce((a, b) => a + b, 0) : ackedBy.get(writer) ?? 0),
    rejected,
    rejectionSamples,
    get outOfOrderAcks() { return outOfOrderAcks; },
    async stop() {
      stopped = true;
      await all;
    },
  };
}
