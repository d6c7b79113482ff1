/** One server-sent event. `id` is undefined when the event carried none. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML, server-sent events):
 * feed it decoded text as it arrives, get complete events back. Comments (`:` lines) are
 * keep-alives and are dropped.
 *
 * @example
 * const parser = createSseParser();
 * for (const m of parser.push('event: change\ndata: {}\nid: 1:2:3\n\n')) console.log(m.event);
 */
export function createSseParser(): { push(text: string): SseMessage[] } {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  // A CR ending one chunk may be the first half of a CRLF whose LF starts the next one.
  let skipLf = false;
  return {
    push(text) {
      buffer += text;
      if (skipLf && buffer.startsWith('\n')) buffer = buffer.slice(1);
      if (buffer.length > 0) skipLf = false;
      const out: SseMessage[] = [];
      for (;;) {
        const nl = buffer.search(/\r\n|\r|\n/);
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        const crlf = buffer.startsWith('\r\n', nl);
        if (!crlf && buffer[nl] === '\r' && nl === buffer.length - 1) skipLf = true;
        buffer = buffer.slice(nl + (crlf ? 2 : 1));
        if (line === '') {
          if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n'), id });
          event = '';
          data = [];
          id = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
      return out;
    },
  };
}
