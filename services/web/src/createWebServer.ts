import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCursor, type ErrorBody } from '@mister-smith/client';
import { MisterSmithError, type DatabaseHandle, type EventLog, type Logger, type NatsHandle, type Topology } from '@mister-smith/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { checkAccess } from './auth.js';
import { createFleetFeed, type FleetFeed } from './createFleetFeed.js';
import { openAgentSync } from './openAgentSync.js';
import { readProjectors, requestRebuild } from './projectorClient.js';
import { readAgentEvents } from './readAgentEvents.js';
import { readAgents, readCheckpoints, readDeadLetters, readFleetSummary } from './readFleet.js';
import { renderPage, renderTokenPage } from './renderPage.js';
import type { WebConfig } from './webConfig.js';
import { WebError } from './WebError.js';
import { SSE_HEADERS, sseFrame, writeFrame } from './writeSse.js';

/** What the web role reads from: the stack's connections (it writes nothing but rebuild requests). */
export interface WebServerOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  /** The AGENT_STATE event log. */
  readonly agentState: EventLog;
  readonly logger: Logger;
  readonly config: WebConfig;
}

/** A running web role. */
export interface WebServer extends AsyncDisposable {
  /** Where the page is, e.g. `http://127.0.0.1:4280/`. */
  readonly url: string;
  readonly port: number;
  /** Open event streams (sync and fleet). */
  connections(): number;
  /** Ends every event stream, then closes the server. */
  close(): Promise<void>;
}

const PUBLIC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../public');
const CLIENT_DIR = dirname(createRequire(import.meta.url).resolve('@mister-smith/client'));
const HEARTBEAT_MS = 15_000;
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

function statusOf(e: unknown): { status: number; body: ErrorBody } {
  if (WebError.is(e)) return { status: e.status, body: { error: { code: e.code, message: e.message, details: e.details } } };
  if (MisterSmithError.is(e)) {
    const status = ['INVALID_ARGUMENT', 'INVALID_ID', 'INVALID_KEY', 'INVALID_SUBJECT'].includes(e.code) ? 400
      : ['NOT_FOUND', 'UNKNOWN_AGENT', 'UNKNOWN_PROJECTION'].includes(e.code) ? 404
        : e.code === 'LOCKED' ? 409
          : ['NATS_UNAVAILABLE', 'POSTGRES_UNAVAILABLE', 'TIMEOUT'].includes(e.code) ? 503 : 500;
    return { status, body: { error: { code: e.code, message: e.message, details: e.details } } };
  }
  const fe = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === 'number' && fe.statusCode < 500) return { status: fe.statusCode, body: { error: { code: 'INVALID_ARGUMENT', message: fe.message ?? 'bad request' } } };
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error (see the server log)' } } };
}

/**
 * Starts the web role: the fleet page, its live feed, the JSON read API and the per-agent sync
 * endpoint (snapshot, then server-sent events resumable with `Last-Event-ID`). Read-only except
 * `POST /api/projections/<name>/rebuild`, which needs `allowRebuild`. Binds `config.host`
 * (loopback by default; any other host needs `config.token`, see `webConfig`).
 *
 * @example
 * await using stack = await startLocalStack();
 * await using web = await createWebServer({ ...stack, agentState: stack.logs.agentState, logger, config: webConfig() });
 * console.log(`open ${web.url}`);
 */
export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const { nats, pg, topology, agentState: log, logger, config } = options;
  const namespace = topology.namespace;
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const streams = new Set<{ end(): void }>();
  let closing = false;
  const feed: FleetFeed = createFleetFeed({ nats, pg, topology, agentState: log, logger });

  app.setErrorHandler((e, req, reply) => {
    const { status, body } = statusOf(e);
    if (status >= 500) logger.error({ err: e, url: req.url }, 'web request failed');
    if (status === 401 && !req.url.startsWith('/api/')) return reply.code(401).type('text/html; charset=utf-8').send(renderTokenPage(body.error.message));
    return reply.code(status).send(body);
  });
  app.addHook('onRequest', async (req, reply) => {
    if (await checkAccess(req, reply, config.token)) return reply;
    return undefined;
  });

  /** Runs an event stream on the raw response until the client leaves or the server closes. */
  const eventStream = async (req: FastifyRequest, reply: FastifyReply, run: (write: (frame: string) => Promise<boolean>, closed: Promise<void>) => Promise<void>) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, SSE_HEADERS);
    res.write(': connected\n\n');
    let end!: () => void;
    const closed = new Promise<void>((r) => { end = r; });
    const handle = { end };
    streams.add(handle);
    req.raw.on('close', end);
    const beat = setInterval(() => { res.write(': ping\n\n'); }, HEARTBEAT_MS);
    try {
      await run((frame) => writeFrame(res, frame), closed);
    } catch (e) {
      logger.warn({ err: e, url: req.url }, 'an event stream ended with an error');
    } finally {
      clearInterval(beat);
      streams.delete(handle);
      res.end();
    }
  };

  app.get('/healthz', async () => ({ ok: !closing }));

  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => serveFile(reply, PUBLIC_DIR, req.params.file));
  app.get<{ Params: { file: string } }>('/assets/client/:file', async (req, reply) => serveFile(reply, CLIENT_DIR, req.params.file));

  app.get('/', async (_req, reply) => {
    const [fleet, agents] = await Promise.all([readFleetSummary(pg, 0), readAgents(pg)]);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
      .send(renderPage({ namespace: namespace ?? null, allowRebuild: config.allowRebuild, fleet, agents }));
  });

  app.get('/api/fleet', async () => readFleetSummary(pg, 0));
  app.get<{ Querystring: { q?: string; type?: string; state?: string; owner?: string; limit?: string } }>('/api/agents', async (req) => {
    const { q, type, state, owner, limit } = req.query;
    return readAgents(pg, { ...(q ? { q } : {}), ...(type ? { type } : {}), ...(state ? { state } : {}), ...(owner ? { owner } : {}), ...(limit ? { limit: Number(limit) } : {}) });
  });
  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/agents/:id/events', async (req) => readAgentEvents(log, req.params.id, Math.min(Number(req.query.limit ?? 50) || 50, 500)));
  app.get('/api/projections', async () => {
    const [projectors, checkpoints, deadLetters] = await Promise.all([readProjectors(nats, namespace), readCheckpoints(pg), readDeadLetters(pg)]);
    return { ...projectors, checkpoints, deadLetters };
  });
  app.post<{ Params: { name: string } }>('/api/projections/:name/rebuild', async (req, reply) => {
    if (!config.allowRebuild) throw new WebError('READ_ONLY', 'this web role is read-only: start it with --allow-rebuild (or MISTER_SMITH_WEB_ALLOW_REBUILD=true) to rebuild projections from the page');
    // A cross-site form cannot set this header, and a cross-origin fetch that sets it needs a preflight this server never grants.
    if (req.headers['x-mister-smith-action'] !== 'rebuild') throw new WebError('UNAUTHORIZED', 'a rebuild request must carry the header x-mister-smith-action: rebuild');
    await requestRebuild(nats, namespace, req.params.name);
    feed.kick();
    logger.info({ projection: req.params.name }, 'rebuild requested from the web page');
    return reply.code(202).send({ accepted: true, projection: req.params.name });
  });

  app.get<{ Params: { id: string }; Querystring: { cursor?: string } }>('/api/agents/:id/sync', async (req, reply) => {
    const given = (req.headers['last-event-id'] as string | undefined) ?? req.query.cursor;
    const cursor = given ? parseCursor(given) : undefined;
    if (given && !cursor) throw new WebError('REVISION_EXPIRED', `${given} is not a cursor of this server (expected <epoch>:<state seq>:<lifecycle seq>): take a new snapshot`);
    // Opened before any byte is sent, so an expired cursor still gets its HTTP status (410).
    const session = await openAgentSync({ log, pg }, req.params.id, cursor);
    await eventStream(req, reply, async (write, closed) => {
      try {
        for (const m of session.initial) if (!(await write(sseFrame(m.event, m.data, m.id)))) return;
        const it = session.live[Symbol.asyncIterator]();
        for (;;) {
          const next = await Promise.race([it.next(), closed.then(() => undefined)]);
          if (!next || next.done) return;
          if (!(await write(sseFrame(next.value.event, next.value.data, next.value.id)))) return;
        }
      } finally {
        await session.stop();
      }
    });
  });

  app.get('/api/fleet/stream', async (req, reply) => {
    await eventStream(req, reply, async (write, closed) => {
      const detach = feed.attach((m) => { void write(sseFrame(m.event, m.data)); });
      try { await closed; } finally { detach(); }
    });
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopping: Promise<void> | undefined;
  const close = () => (stopping ??= (async () => {
    closing = true;
    for (const s of [...streams]) s.end();
    await feed.stop();
    await app.close();
  })());
  return { url: `http://${shownHost}:${port}/`, port, connections: () => streams.size, close, [Symbol.asyncDispose]: close };
}

async function serveFile(reply: FastifyReply, dir: string, file: string): Promise<FastifyReply> {
  const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '';
  if (!/^[A-Za-z0-9_.-]+$/.test(file) || file.startsWith('.') || !TYPES[ext]) throw new WebError('UNAUTHORIZED', `no asset ${file}`);
  let body: Buffer;
  try { body = await readFile(join(dir, file)); } catch { return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no asset ${file}` } }); }
  return reply.type(TYPES[ext]).header('cache-control', 'no-cache').send(body);
}
