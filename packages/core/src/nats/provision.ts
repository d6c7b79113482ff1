import type { StreamConfig } from '@nats-io/jetstream';
import type { Topology } from '../config/topology.js';
import { msError } from '../errors/MisterSmithError.js';
import type { NatsHandle } from './connectNats.js';
import { JsCodes, classifyNatsError, jsApiCode } from './natsErrors.js';
import { IMMUTABLE_STREAM_FIELDS, bucketStreamConfigOf, consumerConfigOf, diffConfig, objectStoreStreamConfigOf, streamConfigOf } from './streamConfigs.js';

/** What one provisioning run did, resource by resource. */
export interface ProvisionReport {
  readonly created: string[];
  readonly updated: { name: string; fields: string[] }[];
  readonly unchanged: string[];
  /** Fields the server accepted but did not keep (nats-server 2.9 silently drops unknown fields). */
  readonly ignoredByServer: { name: string; fields: string[] }[];
  /** Features left off for this server version, with the reason. */
  readonly disabledFeatures: readonly string[];
}

/**
 * Creates the streams, KV buckets and durable consumers of `topology` that are missing, updates
 * those that drifted, and reports what it changed. Idempotent: a second run reports everything
 * unchanged. A stream that cannot be updated in place (storage, retention) or whose subjects
 * another stream owns is a `PROVISIONING_CONFLICT`, never silently replaced.
 */
export async function provision(nats: NatsHandle, topology: Topology): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], updated: [], unchanged: [], ignoredByServer: [], disabledFeatures: nats.gates.disabled };
  const streams = [
    ...Object.values(topology.streams).map(streamConfigOf),
    ...Object.values(topology.buckets).map((b) => bucketStreamConfigOf(b, nats.gates)),
    ...Object.values(topology.objects).map(objectStoreStreamConfigOf),
  ];
  for (const cfg of streams) await ensureStream(nats, cfg, report);
  for (const c of [topology.consumers.taskProcessor, topology.consumers.taskDispatcher, topology.consumers.batchProcessor, topology.consumers.taskFeed]) {
    const cfg = consumerConfigOf(c);
    const label = `${c.stream}/${c.name ?? ''}`;
    try {
      const info = await nats.jsm.consumers.info(c.stream, c.name ?? '').catch((e: unknown) => {
        if (jsApiCode(e) === JsCodes.consumerNotFound) return undefined;
        throw e;
      });
      if (!info) {
        const created = await nats.jsm.consumers.add(c.stream, cfg);
        report.created.push(label);
        noteIgnored(report, label, cfg as Record<string, unknown>, created.config as unknown as Record<string, unknown>);
        continue;
      }
      const diff = diffConfig(cfg as Record<string, unknown>, info.config as unknown as Record<string, unknown>);
      if (diff.length === 0) { report.unchanged.push(label); continue; }
      const { durable_name: _d, name: _n, deliver_policy: _p, ...update } = cfg;
      void _d; void _n; void _p;
      const updated = await nats.jsm.consumers.update(c.stream, c.name ?? '', update);
      report.updated.push({ name: label, fields: diff });
      noteIgnored(report, label, cfg as Record<string, unknown>, updated.config as unknown as Record<string, unknown>);
    } catch (e) {
      throw classifyNatsError(e, `provisioning consumer ${label}`);
    }
  }
  return report;
}

async function ensureStream(nats: NatsHandle, cfg: Partial<StreamConfig> & { name: string }, report: ProvisionReport): Promise<void> {
  let info;
  try {
    info = await nats.jsm.streams.info(cfg.name);
  } catch (e) {
    if (jsApiCode(e) !== JsCodes.streamNotFound) throw classifyNatsError(e, `reading stream ${cfg.name}`);
  }
  if (!info) {
    try {
      const created = await nats.jsm.streams.add(cfg);
      report.created.push(cfg.name);
      noteIgnored(report, cfg.name, cfg, created.config as unknown as Record<string, unknown>);
      return;
    } catch (e) {
      if (jsApiCode(e) === JsCodes.subjectsOverlap) {
        const owners = await ownersOf(nats, cfg.subjects ?? []);
        throw msError('PROVISIONING_CONFLICT', `cannot create stream ${cfg.name}: its subjects ${JSON.stringify(cfg.subjects)} overlap with stream(s) ${owners.join(', ') || '(unknown)'}; remove that stream or choose another namespace`, { cause: e, details: { stream: cfg.name, owners } });
      }
      throw classifyNatsError(e, `creating stream ${cfg.name}`);
    }
  }
  const diff = diffConfig(cfg, info.config as unknown as Record<string, unknown>);
  if (diff.length === 0) { report.unchanged.push(cfg.name); return; }
  const immutable = diff.filter((f) => IMMUTABLE_STREAM_FIELDS.has(f));
  if (immutable.length > 0) {
    throw msError('PROVISIONING_CONFLICT', `stream ${cfg.name} exists with a different ${immutable.join(', ')} (${immutable.map((f) => `${String((info.config as unknown as Record<string, unknown>)[f])} -> ${String((cfg as Record<string, unknown>)[f])}`).join(', ')}); these cannot be changed in place: migrate or delete the stream`, { details: { stream: cfg.name, fields: immutable } });
  }
  try {
    const updated = await nats.jsm.streams.update(cfg.name, cfg);
    report.updated.push({ name: cfg.name, fields: diff });
    noteIgnored(report, cfg.name, cfg, updated.config as unknown as Record<string, unknown>);
  } catch (e) {
    if (jsApiCode(e) === JsCodes.subjectsOverlap) {
      throw msError('PROVISIONING_CONFLICT', `cannot update stream ${cfg.name}: its subjects overlap with another stream`, { cause: e, details: { stream: cfg.name } });
    }
    throw classifyNatsError(e, `updating stream ${cfg.name} (${diff.join(', ')})`);
  }
}

function noteIgnored(report: ProvisionReport, name: string, sent: Record<string, unknown>, got: Record<string, unknown>): void {
  const fields = diffConfig(sent, got);
  if (fields.length > 0) report.ignoredByServer.push({ name, fields });
}

async function ownersOf(nats: NatsHandle, subjects: readonly string[]): Promise<string[]> {
  const owners = new Set<string>();
  for (const s of subjects) {
    const probe = s.replace(/>$/, 'probe').replace(/\*/g, 'probe');
    try { owners.add(await nats.jsm.streams.find(probe)); } catch { /* nobody owns this exact probe subject */ }
  }
  return [...owners];
}

/** Deletes every stream, KV and Object Store bucket and consumer of a topology (tests and `teardown`). Missing ones are fine. */
export async function deprovision(nats: NatsHandle, topology: Topology): Promise<string[]> {
  const names = [
    ...Object.values(topology.streams).map((s) => s.name),
    ...Object.values(topology.buckets).map((b) => `KV_${b.bucket}`),
    ...Object.values(topology.objects).map((o) => `OBJ_${o.bucket}`),
  ];
  const deleted: string[] = [];
  for (const n of names) {
    try { await nats.jsm.streams.delete(n); deleted.push(n); } catch (e) {
      if (jsApiCode(e) !== JsCodes.streamNotFound) throw classifyNatsError(e, `deleting stream ${n}`);
    }
  }
  return deleted;
}
