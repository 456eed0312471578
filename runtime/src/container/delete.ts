// delete: removes a stopped (or, with --force, any) container, holding the per-id lock.
import type { Context } from '../cli/context.js';
import { TsrunError } from '../errors.js';
import { assertTransition } from '../state/lifecycle.js';
import { statusOf } from '../state/store.js';
import { destroyContainer, killAll } from './destroy.js';
import { lockContainer } from './lock.js';
import { waitGone } from './wait.js';

export async function deleteContainer(ctx: Context, id: string, force: boolean): Promise<void> {
  let lock: { close(): void };
  try {
    lock = lockContainer(ctx, id);
  } catch (e) {
    if (force && e instanceof TsrunError && e.code === 'not_found') return;
    throw e;
  }
  try {
    let rec;
    try {
      rec = ctx.store.read(id);
    } catch (e) {
      if (force) {
        ctx.store.remove(id);
        return;
      }
      throw e;
    }
    const status = statusOf(ctx.store, rec);
    if (status === 'running' || status === 'paused' || status === 'creating') {
      if (!force) throw new TsrunError('invalid_state', `cannot delete container ${id} that is not stopped: ${status}`);
    } else if (status !== 'stopped') {
      assertTransition(id, status, 'delete');
    }
    if (status !== 'stopped') {
      killAll(rec, 9);
      if (!waitGone(rec.pid)) throw new TsrunError('invalid_state', `container ${id}: process ${rec.pid} did not exit after SIGKILL`);
    }
    await destroyContainer(ctx, rec);
  } finally {
    lock.close();
  }
}
