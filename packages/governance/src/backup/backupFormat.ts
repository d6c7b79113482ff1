/**
 * The backup file: gzip-compressed NDJSON, one record per line, so writing and reading it never
 * holds more than a page in memory. A header, then every table's rows, then every stream's
 * messages, then an `end` record with the counts (a file without it is truncated).
 */
export const BACKUP_FORMAT = 'mister-smith-backup';
export const BACKUP_VERSION = 1;

/** A stream as it was at the cut: its role in the topology, positions and incarnation. */
export interface BackedUpStream {
  /** `agentState`, `taskExecution`, `agentMessages`, `kv:<bucket key>` (e.g. `kv:agentState`) or `obj:largeValues`. */
  readonly key: string;
  /** Name in the source namespace. */
  readonly name: string;
  readonly epoch: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface HeaderRecord {
  readonly kind: 'header';
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  readonly namespace: string | null;
  readonly migrations: readonly string[];
  readonly tables: readonly string[];
  readonly streams: readonly BackedUpStream[];
}

/** One table row, as `to_jsonb(row)`. */
export interface RowRecord { readonly kind: 'row'; readonly t: string; readonly v: Record<string, unknown> }

/** One stream message: sequence, logical subject (namespace stripped), headers, data (base64), time. */
export interface MsgRecord {
  readonly kind: 'msg';
  readonly s: string;
  readonly seq: number;
  readonly subj: string;
  readonly h?: Record<string, string[]>;
  readonly d: string;
}

export interface EndRecord { readonly kind: 'end'; readonly rows: Record<string, number>; readonly messages: Record<string, number> }

export type BackupRecord = HeaderRecord | RowRecord | MsgRecord | EndRecord;

/** Progress of a backup or a restore. */
export interface BackupProgress {
  readonly phase: 'tables' | 'streams';
  /** The table or stream being copied. */
  readonly current: string;
  readonly done: number;
  readonly total: number;
}
