import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopback } from './webConfig.js';
import { WebError } from './WebError.js';

/** Name of the cookie a browser keeps the token in once it opened `/?token=...`. */
export const TOKEN_COOKIE = 'mister_smith_web_token';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares in constant time (over digests, so lengths leak nothing either). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The token a request carries: `Authorization: Bearer`, the cookie, or `?token=`. */
export function requestToken(req: FastifyRequest): { token: string | undefined; fromQuery: boolean } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), fromQuery: false };
  const fromCookie = cookieToken(req.headers.cookie);
  if (fromCookie !== undefined) return { token: fromCookie, fromQuery: false };
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return { token: typeof q === 'string' ? q : undefined, fromQuery: typeof q === 'string' };
}

/**
 * The access rule of the web role. With a token: every request but `/healthz` carries it (a page
 * opened with `?token=` gets it as an HttpOnly, SameSite=Strict cookie and is redirected to the
 * same address without it). Without a token (loopback only): requests must name a loopback host,
 * so a web page elsewhere cannot reach the server through DNS rebinding.
 * Returns true when the request was answered here (redirect).
 */
export async function checkAccess(req: FastifyRequest, reply: FastifyReply, token: string | undefined): Promise<boolean> {
  if (req.url === '/healthz' || req.url.startsWith('/assets/')) return false; // no data there
  if (token === undefined) {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (!isLoopback(host)) throw new WebError('UNAUTHORIZED', `this server answers only requests addressed to a loopback host (got Host ${host || 'none'})`);
    return false;
  }
  const { token: given, fromQuery } = requestToken(req);
  if (!tokenMatches(given, token)) {
    throw new WebError('UNAUTHORIZED', given === undefined
      ? 'this server requires a token: open the page as /?token=<token>, or send Authorization: Bearer <token>'
      : 'the token is not the one this server was started with');
  }
  if (fromQuery && req.method === 'GET' && !req.url.startsWith('/api/')) {
    const url = new URL(req.url, 'http://x');
    url.searchParams.delete('token');
    void reply.header('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
      .redirect(`${url.pathname}${url.search}`, 303);
    return true;
  }
  return false;
}
