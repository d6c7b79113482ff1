/** Where a command writes: results on stdout (text or JSON), a live line on a terminal. */
export interface Output {
  /** `--json`: one JSON document per result, one JSON object per line for streams. */
  readonly json: boolean;
  /** stdout is a terminal and output is text: live status lines and progress bars are drawn. */
  readonly interactive: boolean;
  /** Prints a command's result: `data` as JSON, or the lines `text()` renders. */
  result(data: unknown, text: () => string | readonly string[]): void;
  /** Prints one item of a stream (an event, a watch update, a status sample). */
  record(data: unknown, text: string): void;
  /** Draws `text` as the live line (terminal only; a no-op otherwise). */
  live(text: string): void;
  /** Removes the live line. */
  clearLive(): void;
  /** Writes raw text to stdout, keeping the live line below it (used by the pretty logger). */
  write(chunk: string): void;
}

/** Streams an `Output` writes to (process stdout by default). */
export interface OutputStreams {
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * Creates the output of one command. On a terminal the live line is redrawn in place with
 * `\r` + erase-line; every other write first erases it and then draws it again below.
 */
export function createOutput(options: { json?: boolean } & OutputStreams = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const json = options.json === true;
  const interactive = !json && (stdout as { isTTY?: boolean }).isTTY === true;
  let liveText = '';
  const clip = (t: string) => {
    const columns = (stdout as { columns?: number }).columns;
    const cols = columns !== undefined && columns >= 20 ? columns : 120;
    return t.length > cols - 1 ? `${t.slice(0, Math.max(0, cols - 2))}…` : t;
  };
  const write = (chunk: string) => {
    if (interactive && liveText) stdout.write(`\r\x1b[2K${chunk}${chunk.endsWith('\n') ? '' : '\n'}${clip(liveText)}`);
    else stdout.write(chunk);
  };
  const line = (t: string) => write(`${t}\n`);
  return {
    json,
    interactive,
    result(data, text) {
      if (json) { line(JSON.stringify(data)); return; }
      const t = text();
      for (const l of typeof t === 'string' ? [t] : t) line(l);
    },
    record(data, text) {
      line(json ? JSON.stringify(data) : text);
    },
    live(text) {
      if (!interactive) return;
      liveText = text;
      stdout.write(`\r\x1b[2K${clip(text)}`);
    },
    clearLive() {
      if (!interactive || !liveText) return;
      liveText = '';
      stdout.write('\r\x1b[2K');
    },
    write,
  };
}
