import type { NatsHandle } from '@mister-smith/core';
import type { ProjectionHost } from '@mister-smith/projections';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { measureHeadroom, readStreamLimits, type StreamLimits } from './measureHeadroom.js';
import type { Headroom } from './retentionHeadroom.js';

/** Retention headroom of the projections this instance runs. */
export interface HeadroomMonitor {
  /** Measures now (also what each scrape does); logs a warning when a projection crosses half its margin. */
  check(): Promise<Record<string, Headroom>>;
  stop(): void;
}

/**
 * Registers `mister_smith_retention_headroom_seconds` and `mister_smith_retention_headroom_ratio`
 * (labelled by projection; see {@link retentionHeadroom}), refreshed on each scrape and every
 * `intervalMs` (default 30 s), and logs one warning when a projection falls under half its margin
 * (and one info when it recovers). Only projections whose lock this instance holds are measured.
 */
export function createHeadroomMonitor(deps: { readonly host: ProjectionHost; readonly nats: NatsHandle; readonly registry: Registry; readonly logger: Logger; readonly intervalMs?: number }): HeadroomMonitor {
  const warned = new Set<string>();
  let last: Record<string, Headroom> = {};
  const check = async (): Promise<Record<string, Headroom>> => {
    const out: Record<string, Headroom> = {};
    const limits = new Map<string, StreamLimits>();
    for (const s of await deps.host.status()) {
      if (!s.active) continue;
      let l = limits.get(s.stream);
      if (!l) limits.set(s.stream, l = await readStreamLimits(deps.nats, s.stream));
      const h = (await measureHeadroom(deps.nats, s, l)).headroom;
      out[s.name] = h;
      if (h.warn && !warned.has(s.name)) {
        warned.add(s.name);
        deps.logger.warn({ projection: s.name, stream: s.stream, headroom: h, lag: s.lag }, `projection ${s.name} is past half its retention margin: start or scale the projector, or raise the stream's limits`);
      } else if (!h.warn && warned.delete(s.name)) {
        deps.logger.info({ projection: s.name, headroom: h }, `projection ${s.name} is back within half its retention margin`);
      }
    }
    last = out;
    return out;
  };
  const refresh = async () => {
    try {
      return await check();
    } catch (e) {
      deps.logger.warn({ err: e }, 'could not measure the retention headroom');
      return last;
    }
  };
  new Gauge({
    name: 'mister_smith_retention_headroom_seconds', help: 'Time before the oldest unprojected event ages out of its stream (max_age minus its age)', labelNames: ['projection'], registers: [deps.registry],
    async collect() { for (const [p, h] of Object.entries(await refresh())) if (h.seconds !== undefined) this.set({ projection: p }, h.seconds); },
  });
  new Gauge({
    name: 'mister_smith_retention_headroom_ratio', help: 'Share of the stream retention margin left (smaller of age and message count; under 0.5 warns)', labelNames: ['projection'], registers: [deps.registry],
    collect() { for (const [p, h] of Object.entries(last)) this.set({ projection: p }, h.ratio); },
  });
  const timer = setInterval(() => { void refresh(); }, deps.intervalMs ?? 30_000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
