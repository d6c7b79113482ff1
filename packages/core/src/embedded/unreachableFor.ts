import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PostgresUser } from './postgresUser.js';

/**
 * The first folder on the way to `path` that `user` may not enter (no search permission for it as
 * owner, group or other), described for a message: `/root (mode 0700, owner uid 0)`. Undefined
 * when every existing folder on the way is open to it. An approximation (supplementary groups and
 * ACLs are not read), used only to name the culprit after a permission failure.
 */
export function unreachableFor(path: string, user: PostgresUser): string | undefined {
  const chain: string[] = [];
  for (let p = dirname(resolve(path)); ; p = dirname(p)) {
    chain.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const dir of chain) {
    let st;
    try {
      st = statSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // created later by root, then owned by it
      throw e;
    }
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return `${dir} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid})`;
  }
  return undefined;
}
