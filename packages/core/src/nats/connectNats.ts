import { readFile } from 'node:fs/promises';
import { AuthorizationError, connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnectionConfig } from '../config/loadConfig.js';
import { msError } from '../errors/MisterSmithError.js';
import { redactUrl } from '../config/loadConfig.js';
import { featureGates, type FeatureGates } from './featureGates.js';

/** A connection status change, without NATS client types. */
export interface NatsStatusEvent {
  readonly type: 'disconnect' | 'reconnect' | 'reconnecting' | 'error' | 'close' | 'other';
  readonly server?: string;
  readonly detail?: string;
}

/** An open NATS connection with its JetStream handles and what the server supports. */
export interface NatsHandle extends AsyncDisposable {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kvm: Kvm;
  readonly gates: FeatureGates;
  /** Servers in the connected cluster (1 for a single server). */
  readonly clusterSize: number;
  /** Registers a listener for reconnects and disconnects; returns an unsubscribe function. */
  onStatus(listener: (e: NatsStatusEvent) => void): () => void;
  /** Drains subscriptions and closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Options for `connectNats` beyond the connection config. */
export interface ConnectNatsOptions {
  /** Fail after this long when no server answers (default 5 s). */
  readonly timeoutMs?: number;
  /** Give up reconnecting after this many attempts (-1 = forever, the default). */
  readonly maxReconnectAttempts?: number;
}

/**
 * Connects to NATS with user/password, token, nkey, creds file and TLS as configured, and opens
 * JetStream. Reconnects on its own; listen with `onStatus`.
 *
 * @example
 * await using nats = await connectNats({ servers: ['nats://127.0.0.1:4222'] });
 * console.log(nats.gates.version);
 */
export async function connectNats(config: NatsConnectionConfig, options: ConnectNatsOptions = {}): Promise<NatsHandle> {
  const servers = config.servers && config.servers.length > 0 ? [...config.servers] : ['nats://127.0.0.1:4222'];
  let authenticator;
  if (config.credsFile) {
    const creds = await readFile(config.credsFile).catch((e: unknown) => {
      throw msError('INVALID_CONFIG', `cannot read NATS creds file ${config.credsFile}`, { cause: e });
    });
    authenticator = credsAuthenticator(creds);
  } else if (config.nkeySeed) {
    authenticator = nkeyAuthenticator(new TextEncoder().encode(config.nkeySeed));
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: config.name ?? 'mister-smith',
      ...(config.user !== undefined ? { user: config.user, pass: config.pass ?? '' } : {}),
      ...(config.token !== undefined ? { token: config.token } : {}),
      ...(authenticator ? { authenticator } : {}),
      ...(config.tls ? { tls: { ...config.tls } } : {}),
      timeout: options.timeoutMs ?? 5000,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: 250,
      // A stack trace per request costs about a tenth of the CPU under load; errors keep their own.
      noAsyncTraces: true,
    });
  } catch (e) {
    const where = servers.map(redactUrl).join(',');
    const auth = e instanceof AuthorizationError || (e as { cause?: unknown })?.cause instanceof AuthorizationError;
    throw msError(auth ? 'PERMISSION_DENIED' : 'NATS_UNAVAILABLE',
      auth ? `NATS at ${where} refused the credentials` : `cannot reach NATS at ${where}: is nats-server running (with -js)?`,
      { cause: auth ? undefined : e, details: { servers: servers.map(redactUrl) } });
  }
  const listeners = new Set<(e: NatsStatusEvent) => void>();
  void (async () => {
    for await (const s of nc.status()) {
      const type = (['disconnect', 'reconnect', 'reconnecting', 'error', 'close'] as const).find((t) => t === s.type) ?? 'other';
      const ev: NatsStatusEvent = { type, ...('server' in s && typeof s.server === 'string' ? { server: s.server } : {}), ...('error' in s ? { detail: String(s.error) } : {}) };
      for (const l of listeners) l(ev);
    }
  })().catch(() => undefined);
  const info = nc.info;
  const version = info?.version ?? '0.0.0';
  const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs ?? 5000 }).catch(async (e: unknown) => {
    await nc.close();
    throw msError('NATS_UNAVAILABLE', `JetStream is not enabled on ${servers.map(redactUrl).join(",")}: start nats-server with -js`, { cause: e });
  });
  const js = jetstream(nc, { timeout: options.timeoutMs ?? 5000 });
  const clusterSize = info?.cluster ? Math.max(1, new Set(info.connect_urls ?? []).size) : 1;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      if (nc.isClosed()) return;
      try { await nc.drain(); } catch (e) { if (!nc.isClosed()) await nc.close(); void e; }
    })();
    return closed;
  };
  return {
    nc, js, jsm, kvm: new Kvm(js), gates: featureGates(version), clusterSize,
    onStatus(l) { listeners.add(l); return () => listeners.delete(l); },
    close,
    [Symbol.asyncDispose]: close,
  };
}

