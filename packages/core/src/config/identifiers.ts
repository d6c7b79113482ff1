import { msError } from '../errors/MisterSmithError.js';

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** NATS KV key alphabet without `.` (the dot separates agent id and state key). */
const STATE_KEY = /^[A-Za-z0-9_\-/=]{1,200}$/;
const KV_KEY = /^[A-Za-z0-9_\-/=.]{1,512}$/;
const NAMESPACE = /^[a-z][a-z0-9_]{0,31}$/;
const SUBJECT_TOKEN = /^[^\s.*>]+$/;

/** Validates an agent id (`[A-Za-z0-9][A-Za-z0-9_-]{0,63}`) and returns it. */
export function assertAgentId(id: unknown): string {
  if (typeof id !== 'string' || !AGENT_ID.test(id)) {
    throw msError('INVALID_ID', `invalid agent id ${JSON.stringify(id)}: expected 1-64 characters of [A-Za-z0-9_-], starting with a letter or digit`, { details: { agentId: id } });
  }
  return id;
}

/** Validates a state key: the NATS key alphabet without `.`, not starting with the reserved `_`. */
export function assertStateKey(key: unknown, options: { allowReserved?: boolean } = {}): string {
  if (typeof key !== 'string' || !STATE_KEY.test(key)) {
    throw msError('INVALID_KEY', `invalid state key ${JSON.stringify(key)}: expected 1-200 characters of [A-Za-z0-9_-/=] (no dots)`, { details: { key } });
  }
  if (key.startsWith('_') && !options.allowReserved) {
    throw msError('INVALID_KEY', `state key ${JSON.stringify(key)} is reserved: keys starting with "_" belong to the framework`, { details: { key } });
  }
  return key;
}

/** Validates a raw NATS KV key (`A-Z a-z 0-9 - _ / = .`, no leading/trailing or double dots). */
export function assertKvKey(key: unknown): string {
  if (typeof key !== 'string' || !KV_KEY.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw msError('INVALID_KEY', `invalid KV key ${JSON.stringify(key)}: NATS keys allow only A-Z a-z 0-9 - _ / = and non-leading, non-trailing single dots`, { details: { key } });
  }
  return key;
}

/** The KV key of an agent's state key: `<agentId>.<stateKey>`. */
export function agentKvKey(agentId: string, stateKey: string): string {
  return `${assertAgentId(agentId)}.${assertStateKey(stateKey, { allowReserved: true })}`;
}

/** Splits `<agentId>.<stateKey>` back into its parts; undefined for keys of another shape. */
export function parseAgentKvKey(kvKey: string): { agentId: string; stateKey: string } | undefined {
  const dot = kvKey.indexOf('.');
  if (dot <= 0) return undefined;
  const agentId = kvKey.slice(0, dot);
  const stateKey = kvKey.slice(dot + 1);
  if (!AGENT_ID.test(agentId) || !STATE_KEY.test(stateKey)) return undefined;
  return { agentId, stateKey };
}

/** Validates a deployment namespace (lowercase, `[a-z][a-z0-9_]{0,31}`). */
export function assertNamespace(ns: unknown): string {
  if (typeof ns !== 'string' || !NAMESPACE.test(ns)) {
    throw msError('INVALID_CONFIG', `invalid namespace ${JSON.stringify(ns)}: expected [a-z][a-z0-9_]{0,31}`, { details: { namespace: ns } });
  }
  return ns;
}

/** Validates one subject token (no whitespace, dots or wildcards). */
export function assertSubjectToken(token: unknown, what = 'subject token'): string {
  if (typeof token !== 'string' || token.length === 0 || token.length > 256 || !SUBJECT_TOKEN.test(token)) {
    throw msError('INVALID_SUBJECT', `invalid ${what} ${JSON.stringify(token)}: no spaces, dots or wildcards allowed`, { details: { token } });
  }
  return token;
}

/** Validates a full subject or filter (tokens separated by dots; `*` and a final `>` allowed when `wildcards`). */
export function assertSubject(subject: unknown, options: { wildcards?: boolean } = {}): string {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 1024) {
    throw msError('INVALID_SUBJECT', `invalid subject ${JSON.stringify(subject)}`, { details: { subject } });
  }
  const tokens = subject.split('.');
  tokens.forEach((t, i) => {
    const wildcardOk = options.wildcards && (t === '*' || (t === '>' && i === tokens.length - 1));
    if (!wildcardOk && !SUBJECT_TOKEN.test(t)) {
      throw msError('INVALID_SUBJECT', `invalid subject ${JSON.stringify(subject)}: token ${JSON.stringify(t)} is not allowed`, { details: { subject } });
    }
  });
  return subject;
}
