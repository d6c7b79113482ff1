/** Default key of the bridge's session advisory lock ("MS_BRDGE" in ASCII). */
export const BRIDGE_LOCK_KEY = 0x4d535f4252444745n;

/** The notification channel the outbox triggers wake the bridge on. */
export const OUTBOX_CHANNEL = 'mister_smith_outbox';
