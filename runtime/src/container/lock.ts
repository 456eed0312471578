// The per-id lock the operations that change an existing container take (start needs none: see start.ts); a missing
// state dir means it does not exist.
import type { Context } from '../cli/context.js';
import { TsrunError } from '../errors.js';
import { libc } from '../linux/libc.js';
import { lockDir } from '../state/store.js';

export function lockContainer(ctx: Context, id: string): { close(): void } {
  try {
    return lockDir(ctx.store.dir(id), libc.flockExclusive);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TsrunError('not_found', `container ${id} does not exist`);
    throw e;
  }
}
