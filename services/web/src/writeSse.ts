import type { ServerResponse } from 'node:http';

/** Headers of an event stream: no caching, no buffering by proxies. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** Formats one server-sent event (`data` as JSON on one line). */
export function sseFrame(event: string, data: unknown, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Writes one frame and waits for the socket to take it when its buffer is full, so a slow client
 * holds back its own stream instead of growing the server's memory. False once the client left.
 */
export async function writeFrame(res: ServerResponse, frame: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(frame)) return true;
  await new Promise<void>((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}
