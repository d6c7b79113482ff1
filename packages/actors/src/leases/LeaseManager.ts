/** Who holds an agent's lease (the AGENT_LEASES value). */
export interface LeaseOwner {
  readonly supervisorId: string;
  /** ISO time the holder first acquired the lease. */
  readonly acquiredAt: string;
  /** KV revision of the lease entry. */
  readonly revision: number;
}

/** A lease this supervisor holds. */
export interface HeldLease {
  readonly agentId: string;
  readonly revision: number;
}

/** Why a held lease was lost. */
export type LeaseLossReason = 'taken' | 'expired' | 'unrenewable';

/**
 * Single-writer ownership of agents through the AGENT_LEASES bucket (TTL = lease duration):
 * acquire with `create` (or take over an expired or deleted lease), renew every third of the TTL
 * with `update(revision)`, release with a revision-checked delete.
 */
export interface LeaseManager extends AsyncDisposable {
  readonly supervisorId: string;
  readonly ttlMs: number;
  /** Takes the lease; NOT_OWNER (details.owner) while another supervisor holds it. */
  acquire(agentId: string): Promise<HeldLease>;
  /** The current holder, or undefined when nobody holds the lease. */
  owner(agentId: string): Promise<LeaseOwner | undefined>;
  /** Whether this supervisor believes it holds the lease (renewals have not failed). */
  holds(agentId: string): boolean;
  /** Gives the lease up (no-op when not held; a lease someone else took is left alone). */
  release(agentId: string): Promise<void>;
  /**
   * Polls until nobody holds the lease (NATS 2.9 sends no event when a key ages out), at most
   * `maxWaitMs`; resolves with the holder then (undefined = free).
   */
  waitUntilFree(agentId: string, maxWaitMs: number): Promise<LeaseOwner | undefined>;
  /** Registers a listener for leases this supervisor lost; returns an unsubscribe function. */
  onLost(listener: (agentId: string, reason: LeaseLossReason) => void): () => void;
  readonly size: number;
  /** Stops renewing and releases every held lease. */
  stop(): Promise<void>;
}
