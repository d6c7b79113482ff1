import fc from 'fast-check';
import { newId } from '@mister-smith/core';

/** A malformed message to publish on an agent's state subject (or next to it). */
export interface BadMessage {
  /** What is wrong with it, for reports. */
  readonly kind: string;
  /** Subject tokens after `agents.state.`; default: the target agent's id. */
  readonly subjectSuffix?: string;
  readonly bytes: Uint8Array;
}

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** A well-formed StateChanged envelope for `agentId`, the base every broken variant starts from. */
export function goodEnvelope(agentId: string, key: string, value: unknown): Record<string, unknown> {
  return {
    id: newId(), type: 'StateChanged', subject: `agents.state.${agentId}`, agentId, time: new Date().toISOString(), schemaVersion: 1,
    data: { key, op: 'put', value, stored: null, strategy: 'lww', writer: 'fuzz' },
  };
}

/** Agent ids NATS accepts as a subject token but the system does not accept as an id. */
const invalidAgentToken = fc.constantFrom('-lead', '_registry', 'x'.repeat(65), 'ä-agent', 'a+b', 'a:b', '%41', '\u0000');
/** Values that are not valid agent ids in an envelope. */
const invalidAgentId = fc.oneof(invalidAgentToken, fc.constantFrom('', 'a b', 'a.b', '*', '>', '../etc/passwd'), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
const invalidKey = fc.oneof(fc.constantFrom('', 'a.b', 'a b', 'k'.repeat(201), '*', '>', 'ключ'), fc.integer(), fc.constant(null), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const notAnObject = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }));

/**
 * Malformed messages of every family the issue names: random bytes, JSON that is not an envelope,
 * envelopes with missing fields or wrong types, StateChanged events with bad data, invalid agent
 * ids (in the envelope and in the subject), unknown event types, future schema versions, and
 * payloads up to the 1 MiB limit. None of them may change any agent's state.
 */
export function badMessage(agentId: string, keys: readonly string[], options: { hugeMaxBytes?: number } = {}): fc.Arbitrary<BadMessage> {
  return anyBadMessage(agentId, keys, options).map((m) => Object.assign(m, {
    // Counterexamples print as what is wrong and how big, not as a megabyte of byte values.
    [fc.toStringMethod]: () => `${m.kind} on agents.state.${m.subjectSuffix ?? agentId}: ${m.bytes.length > 120 ? `${m.bytes.length} bytes` : JSON.stringify(new TextDecoder().decode(m.bytes))}`,
  }));
}

function anyBadMessage(agentId: string, keys: readonly string[], options: { hugeMaxBytes?: number }): fc.Arbitrary<BadMessage> {
  const key = fc.constantFrom(...keys);
  const hugeMax = options.hugeMaxBytes ?? 1_000_000;
  const withEnvelope = (kind: string, change: (e: Record<string, unknown>) => Record<string, unknown>) =>
    fc.tuple(key, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ kind, bytes: json(change(goodEnvelope(agentId, k, v))) }));
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => ({ kind: 'random bytes', bytes })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 300 }).map((s) => ({ kind: 'not JSON', bytes: enc.encode(`{${s}`) })) },
    { weight: 2, arbitrary: notAnObject.map((v) => ({ kind: 'JSON that is not an object', bytes: json(v) })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'arbitrary JSON', bytes: json({ payload: v }) })) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('id', 'type', 'subject', 'time', 'schemaVersion', 'data').chain((field) =>
        withEnvelope(`envelope without ${field}`, (e) => { const { [field]: _drop, ...rest } = e; void _drop; return rest; })),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.record({ id: fc.oneof(fc.integer(), fc.constantFrom('not-a-uuid', '', '123')) }),
        fc.record({ type: fc.oneof(fc.integer(), fc.constant(''), fc.constant('x'.repeat(129)), fc.constant(null)) }),
        fc.record({ time: fc.oneof(fc.constantFrom('yesterday', '', '2024-13-45T99:99:99Z'), fc.integer()) }),
        fc.record({ schemaVersion: fc.oneof(fc.constantFrom('1', 0, -1, 1.5, null), fc.double({ noNaN: true, min: 0.01, max: 0.99 })) }),
        fc.record({ subject: fc.oneof(fc.integer(), fc.constant('')) }),
        fc.record({ traceparent: fc.constantFrom('x', '00-zz', 42) }),
        fc.record({ correlationId: fc.integer() }),
      ).chain((patch) => withEnvelope(`envelope with ${Object.keys(patch)[0]} of a wrong type`, (e) => ({ ...e, ...patch }))),
    },
    {
      weight: 4,
      arbitrary: fc.oneof(
        fc.constant({ what: 'data null', patch: (d: Record<string, unknown>) => { void d; return null; } }),
        notAnObject.map((v) => ({ what: 'data not an object', patch: () => v })),
        fc.constant({ what: 'no key', patch: ({ key: _k, ...d }: Record<string, unknown>) => { void _k; return d; } }),
        invalidKey.map((k) => ({ what: 'invalid key', patch: (d: Record<string, unknown>) => ({ ...d, key: k }) })),
        fc.constantFrom('upsert', '', null, 1, 'PUT').map((op) => ({ what: 'unknown op', patch: (d: Record<string, unknown>) => ({ ...d, op }) })),
        fc.constantFrom('magic', '', null, 7, 'LWW').map((s) => ({ what: 'unknown strategy', patch: (d: Record<string, unknown>) => ({ ...d, strategy: s }) })),
        fc.constant({ what: 'no writer', patch: ({ writer: _w, ...d }: Record<string, unknown>) => { void _w; return d; } }),
        fc.constant({ what: 'put without value', patch: ({ value: _v, ...d }: Record<string, unknown>) => { void _v; return d; } }),
      ).chain(({ what, patch }) => withEnvelope(`StateChanged with ${what}`, (e) => ({ ...e, data: patch(e.data as Record<string, unknown>) }))),
    },
    { weight: 2, arbitrary: invalidAgentId.chain((id) => withEnvelope('StateChanged with an invalid agentId', (e) => ({ ...e, agentId: id }))) },
    { weight: 1, arbitrary: withEnvelope('StateChanged without agentId', ({ agentId: _a, ...e }) => { void _a; return e; }) },
    {
      weight: 2,
      arbitrary: fc.tuple(invalidAgentToken, key).map(([token, k]) => ({
        kind: 'event on the subject of an invalid agent id', subjectSuffix: token, bytes: json({ ...goodEnvelope(agentId, k, 'x'), subject: `agents.state.${token}`, agentId: token }),
      })),
    },
    {
      weight: 1,
      arbitrary: key.map((k) => ({ kind: 'event on a deeper subject', subjectSuffix: `${agentId}.extra`, bytes: json({ ...goodEnvelope(agentId, k, 'deeper'), subject: `agents.state.${agentId}.extra` }) })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('AgentExploded', 'StateChangedV2', 'statechanged', 'OwnershipAcquired', 'StateEditedInSql'), fc.jsonValue({ maxDepth: 2 }))
        .chain(([type, data]) => withEnvelope(`unknown or mis-shaped ${type}`, (e) => ({ ...e, type, data }))),
    },
    { weight: 2, arbitrary: fc.integer({ min: 2, max: 1_000_000 }).chain((v) => withEnvelope(`schema version ${v}`, (e) => ({ ...e, schemaVersion: v }))) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 100_000, max: hugeMax }), fc.boolean(), key).map(([size, asEnvelope, k]) => ({
        kind: `huge ${asEnvelope ? 'envelope' : 'junk'} (${size} bytes)`,
        bytes: asEnvelope
          ? json({ ...goodEnvelope(agentId, k, null), schemaVersion: 99, data: { key: k, op: 'put', value: 'x'.repeat(size), strategy: 'lww', writer: 'fuzz' } })
          : enc.encode(`{"junk":"${'x'.repeat(size)}`),
      })),
    },
  );
}
