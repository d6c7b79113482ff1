/** A parsed nats-server version. */
export interface ServerVersion { readonly major: number; readonly minor: number; readonly micro: number }

/** Which server features this deployment may use; gated fields are stripped, never sent. */
export interface FeatureGates {
  readonly version: string;
  /** Stream compression (`compression: s2`), nats-server 2.10+. */
  readonly streamCompression: boolean;
  /** Per-message TTL (`allow_msg_ttl`), nats-server 2.11+. */
  readonly perMessageTtl: boolean;
  /** Several filter subjects per consumer, nats-server 2.10+. */
  readonly multipleFilterSubjects: boolean;
  /** Stream and consumer metadata, nats-server 2.10+. */
  readonly metadata: boolean;
  /** Human-readable reasons for each feature left off. */
  readonly disabled: readonly string[];
}

/** Parses "2.9.10" (and "v2.9.10-beta") into numbers. */
export function parseServerVersion(v: string): ServerVersion {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) return { major: 0, minor: 0, micro: 0 };
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3]) };
}

function atLeast(v: ServerVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** The feature gates of a server version. */
export function featureGates(version: string): FeatureGates {
  const v = parseServerVersion(version);
  const gates = {
    streamCompression: atLeast(v, 2, 10),
    perMessageTtl: atLeast(v, 2, 11),
    multipleFilterSubjects: atLeast(v, 2, 10),
    metadata: atLeast(v, 2, 10),
  };
  const disabled: string[] = [];
  if (!gates.streamCompression) disabled.push(`stream compression (s2) needs nats-server 2.10, server is ${version}: AGENT_STATE is stored uncompressed`);
  if (!gates.perMessageTtl) disabled.push(`per-message TTL needs nats-server 2.11, server is ${version}: bucket-level TTL only`);
  if (!gates.multipleFilterSubjects) disabled.push(`multiple consumer filter subjects need nats-server 2.10, server is ${version}: one consumer per subject family`);
  return { version, ...gates, disabled };
}
