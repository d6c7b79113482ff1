import { applyChange, applyLifecycle, applySnapshot, EMPTY_COPY, type LocalCopy } from './applyMessage.js';
import { createSseParser, type SseMessage } from './parseSse.js';
import type { ChangeMessage, ErrorBody, LifecycleMessage, LifecycleView, OtherEventMessage, SnapshotMessage, SyncedEntry } from './protocol.js';
import { SyncError } from './SyncError.js';

/** Options of `syncAgent`. */
export interface SyncAgentOptions {
  /** Where the web role is, e.g. `http://127.0.0.1:4280`; `''` in a page served by it. */
  readonly baseUrl: string;
  readonly agentId: string;
  /** Sent as `Authorization: Bearer <token>` (a page served by the web role uses its cookie instead). */
  readonly token?: string;
  /** Resume from this cursor instead of starting with a snapshot. */
  readonly cursor?: string;
  /**
   * When the server no longer keeps the events after the cursor (HTTP 410 `REVISION_EXPIRED`):
   * `resnapshot` (default) starts again from a fresh snapshot and reports a `reset`; `fail` stops
   * with the typed error.
   */
  readonly onExpired?: 'resnapshot' | 'fail';
  /** Reconnect backoff bounds (default 250 ms to 5 s, doubling, with jitter). */
  readonly retry?: { readonly minMs?: number; readonly maxMs?: number };
  /** A fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** What happened to the local copy or the connection. */
export type SyncUpdate =
  | { readonly type: 'snapshot'; readonly snapshot: SnapshotMessage }
  | { readonly type: 'change'; readonly change: ChangeMessage }
  | { readonly type: 'lifecycle'; readonly lifecycle: LifecycleMessage }
  | { readonly type: 'event'; readonly event: OtherEventMessage }
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected'; readonly error: SyncError }
  /** The cursor expired: the copy is replaced by the next snapshot. */
  | { readonly type: 'reset'; readonly error: SyncError }
  /** Syncing stopped for good (a refused token, a bad agent id, `onExpired: 'fail'`). */
  | { readonly type: 'failed'; readonly error: SyncError };

/** A running sync of one agent. */
export interface AgentSync extends AsyncDisposable {
  readonly agentId: string;
  /** Every live key with its value, version and strategy. */
  entries(): Readonly<Record<string, SyncedEntry>>;
  /** Every live key with its value. */
  values(): Record<string, unknown>;
  lifecycle(): LifecycleView | null;
  /** Highest stream sequence applied. */
  revision(): number;
  /** The cursor a resume would start from (the last event id received). */
  cursor(): string | undefined;
  connected(): boolean;
  /** Resolves once the first snapshot (or, with `cursor`, the first connection) is in; rejects if syncing fails for good first. */
  readonly ready: Promise<void>;
  /** Listens to updates; returns the function that stops listening. */
  on(listener: (u: SyncUpdate) => void): () => void;
  /** Drops the connection now; the client reconnects from its cursor after the backoff. */
  reconnect(): void;
  close(): Promise<void>;
}

/**
 * Keeps a local copy of one agent's state in sync with a web role: a snapshot, then every change
 * as it is committed, over server-sent events read with `fetch` (browsers and Node 20+, no NATS).
 * When the connection drops it reconnects by itself with `Last-Event-ID`, so it receives exactly
 * the events it missed: no gap, no duplicate.
 *
 * @example
 * const sync = syncAgent({ baseUrl: 'http://127.0.0.1:4280', agentId: 'c1' });
 * await sync.ready;
 * sync.on((u) => { if (u.type === 'change') console.log(u.change.key, u.change.value); });
 * console.log(sync.values());
 * await sync.close();
 */
export function syncAgent(options: SyncAgentOptions): AgentSync {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const minMs = options.retry?.minMs ?? 250;
  const maxMs = options.retry?.maxMs ?? 5000;
  const url = `${options.baseUrl.replace(/\/$/, '')}/api/agents/${encodeURIComponent(options.agentId)}/sync`;
  const listeners = new Set<(u: SyncUpdate) => void>();
  let copy: LocalCopy = EMPTY_COPY;
  let cursor = options.cursor;
  let isConnected = false;
  let closed = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  let settleReady: { resolve: () => void; reject: (e: SyncError) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => { settleReady = { resolve, reject }; });
  ready.catch(() => undefined); // a caller that never awaits it must not see an unhandled rejection

  const emit = (u: SyncUpdate) => { for (const l of listeners) l(u); };
  const markReady = () => { settleReady?.resolve(); settleReady = undefined; };
  const fail = (error: SyncError) => {
    closed = true;
    settleReady?.reject(error);
    settleReady = undefined;
    emit({ type: 'failed', error });
  };

  const handle = (m: SseMessage) => {
    const body = JSON.parse(m.data) as unknown;
    if (m.event === 'snapshot') {
      copy = applySnapshot(body as SnapshotMessage);
      emit({ type: 'snapshot', snapshot: body as SnapshotMessage });
      markReady();
    } else if (m.event === 'change') {
      copy = applyChange(copy, body as ChangeMessage);
      emit({ type: 'change', change: body as ChangeMessage });
    } else if (m.event === 'lifecycle') {
      copy = applyLifecycle(copy, body as LifecycleMessage);
      emit({ type: 'lifecycle', lifecycle: body as LifecycleMessage });
    } else if (m.event === 'event') {
      const e = body as OtherEventMessage;
      copy = { ...copy, revision: Math.max(copy.revision, e.seq) };
      emit({ type: 'event', event: e });
    } else {
      return; // unknown event names are for newer clients
    }
    if (m.id !== undefined) cursor = m.id;
  };

  /** One connection: resolves when the stream ends; throws a SyncError saying why it stopped. */
  const connectOnce = async (signal: AbortSignal): Promise<void> => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (cursor) headers['last-event-id'] = cursor;
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal, credentials: 'same-origin' });
    } catch (e) {
      throw new SyncError('NETWORK', `cannot reach ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) throw await errorOf(res);
    if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      throw new SyncError('SERVER_ERROR', `${url} did not answer with an event stream`, { status: res.status });
    }
    isConnected = true;
    emit({ type: 'connected' });
    if (options.cursor !== undefined) markReady();
    const parser = createSseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const m of parser.push(value)) handle(m);
      }
    } catch (e) {
      if (SyncError.is(e)) throw e;
      throw new SyncError('NETWORK', `the event stream of ${options.agentId} broke: ${(e as Error).message}`, { cause: e });
    } finally {
      reader.releaseLock();
    }
    throw new SyncError('NETWORK', `the server ended the event stream of ${options.agentId}`);
  };

  const run = async () => {
    let attempt = 0;
    while (!closed) {
      current = new AbortController();
      let error: SyncError;
      try {
        await connectOnce(current.signal);
        continue;
      } catch (e) {
        error = SyncError.is(e) ? e : new SyncError('NETWORK', (e as Error).message, { cause: e });
      }
      const wasConnected = isConnected;
      isConnected = false;
      if (closed) break;
      if (wasConnected) { attempt = 0; emit({ type: 'disconnected', error }); }
      if (error.code === 'REVISION_EXPIRED') {
        if (options.onExpired === 'fail') { fail(error); break; }
        cursor = undefined;
        emit({ type: 'reset', error });
        continue;
      }
      if (error.code === 'UNAUTHORIZED' || error.code === 'INVALID_ARGUMENT') { fail(error); break; }
      const delay = Math.min(maxMs, minMs * 2 ** attempt++) * (0.5 + Math.random() / 2);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      wake = undefined;
    }
  };
  const running = run();

  const close = async () => {
    if (!closed) {
      closed = true;
      settleReady?.reject(new SyncError('CLOSED', 'the sync was closed before its first snapshot'));
      settleReady = undefined;
    }
    current?.abort();
    wake?.();
    await running;
  };
  return {
    agentId: options.agentId,
    entries: () => copy.entries,
    values: () => Object.fromEntries(Object.entries(copy.entries).map(([k, e]) => [k, e.value])),
    lifecycle: () => copy.lifecycle,
    revision: () => copy.revision,
    cursor: () => cursor,
    connected: () => isConnected,
    ready,
    on(listener) { listeners.add(listener); return () => { listeners.delete(listener); }; },
    reconnect() { current?.abort(); },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function errorOf(res: Response): Promise<SyncError> {
  let body: Partial<ErrorBody> | undefined;
  try { body = (await res.json()) as Partial<ErrorBody>; } catch { body = undefined; }
  const serverCode = body?.error?.code;
  const message = body?.error?.message ?? `HTTP ${res.status}`;
  const code = res.status === 410 ? 'REVISION_EXPIRED'
    : res.status === 401 || res.status === 403 ? 'UNAUTHORIZED'
      : res.status === 400 ? 'INVALID_ARGUMENT'
        : 'SERVER_ERROR';
  return new SyncError(code, message, { status: res.status, ...(serverCode ? { serverCode } : {}) });
}
