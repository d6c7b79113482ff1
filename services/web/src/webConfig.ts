import { msError } from '@mister-smith/core';

/** How the web role serves. */
export interface WebConfig {
  /** Interface to bind (default 127.0.0.1: only this machine). */
  readonly host: string;
  /** Port (0: any free one). */
  readonly port: number;
  /** Required on every request when set; required to start on a non-loopback host. */
  readonly token: string | undefined;
  /** Allow the one write the page offers, rebuilding a projection (default false: read-only). */
  readonly allowRebuild: boolean;
}

/** Default port of the web role (`MISTER_SMITH_WEB_PORT`). */
export const DEFAULT_WEB_PORT = 4280;

/** Options given on the command line; they win over the environment. */
export interface WebConfigInput {
  readonly host?: string;
  readonly port?: number;
  readonly token?: string;
  readonly allowRebuild?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** True when `host` is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The web role's configuration from explicit options, then `MISTER_SMITH_WEB_HOST`,
 * `MISTER_SMITH_WEB_PORT`, `MISTER_SMITH_WEB_TOKEN` and `MISTER_SMITH_WEB_ALLOW_REBUILD`.
 * INVALID_CONFIG for a bad port, and for a host other than loopback without a token: an exposed
 * page would show every agent's state to whoever reaches it.
 *
 * @example
 * const config = webConfig({ port: 8080 }, process.env);
 */
export function webConfig(input: WebConfigInput = {}, env: Readonly<Record<string, string | undefined>> = process.env): WebConfig {
  const host = input.host ?? (env.MISTER_SMITH_WEB_HOST || '127.0.0.1');
  const portText = input.port ?? env.MISTER_SMITH_WEB_PORT;
  const port = portText === undefined || portText === '' ? DEFAULT_WEB_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw msError('INVALID_CONFIG', `MISTER_SMITH_WEB_PORT must be a port number (0-65535), got ${String(portText)}`);
  const token = input.token ?? (env.MISTER_SMITH_WEB_TOKEN || undefined);
  if (token !== undefined && token.length < 16) throw msError('INVALID_CONFIG', 'the web token (MISTER_SMITH_WEB_TOKEN) must be at least 16 characters');
  if (!isLoopback(host) && token === undefined) {
    throw msError('INVALID_CONFIG', `the web role binds ${host}, which other machines reach: set MISTER_SMITH_WEB_TOKEN (16+ characters) so that only holders of the token see the fleet, or bind 127.0.0.1`, { details: { host } });
  }
  const allow = input.allowRebuild ?? ['1', 'true', 'yes'].includes((env.MISTER_SMITH_WEB_ALLOW_REBUILD ?? '').toLowerCase());
  return { host, port, token, allowRebuild: allow };
}
