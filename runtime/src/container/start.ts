// start: releases a created container by reading its exec fifo. As with runc, the fifo is what makes start happen
// once, not the per-id lock (taking it cost every start ~1.7 ms of loading koffi): the init writes one byte, one
// start reads it and removes the fifo, and a start that finds the fifo gone (at open, or while it waits) was beaten
// to it. state.json is replaced by rename, so reading it needs no lock either. delete is in delete.ts, so that
// start's bundle does not load the cgroup code that only delete needs. The shim runs this code in its own process
// when tsrun is its runtime (shim/src/runtime.ts), so it must not load more than start needs.
import * as fs from 'node:fs';
import type { Context } from '../cli/context.js';
import { OCI_VERSION } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { runHooksWarn } from '../hooks/run.js';
import { assertTransition } from '../state/lifecycle.js';
import { type ContainerRecord, isAlive, statusOf } from '../state/store.js';
import { sleepMs } from './wait.js';

const alreadyStarted = (id: string): TsrunError => new TsrunError('invalid_state', `container ${id} is already running (another start released it)`);

/**
 * Reads the byte the init writes once it has the fifo open; fails if the init dies instead of writing, or if
 * another start read it (the fifo is gone).
 */
function releaseInit(id: string, fifo: string, alive: () => boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw alreadyStarted(id);
    throw e;
  }
  const buf = Buffer.alloc(1);
  const readByte = (): boolean => {
    try {
      return fs.readSync(fd, buf, 0, 1, null) === 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      return false;
    }
  };
  try {
    for (let delay = 0.05; ; delay = Math.min(delay * 2, 20)) {
      if (readByte()) return;
      // The init may write its byte, exec and exit between the read above and this check: read once more.
      if (!alive()) {
        if (readByte()) return;
        throw new TsrunError('invalid_state', 'container init exited before it could be started');
      }
      if (!fs.existsSync(fifo)) throw alreadyStarted(id);
      sleepMs(delay);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** What start needs of a command's context. */
export type StartContext = Pick<Context, 'store' | 'warn' | 'debugLog'>;

export async function startContainer(ctx: StartContext, id: string, rec: ContainerRecord = ctx.store.read(id)): Promise<void> {
  assertTransition(id, statusOf(ctx.store, rec), 'start');
  const fifo = ctx.store.fifo(id);
  releaseInit(id, fifo, () => isAlive(rec));
  fs.rmSync(fifo, { force: true });
  ctx.debugLog(`start ${id}: released init ${rec.pid}`);
  const state = { ociVersion: OCI_VERSION, id, status: 'running', pid: rec.pid, bundle: rec.bundle, ...(rec.annotations ? { annotations: rec.annotations } : {}) };
  runHooksWarn('poststart', rec.hooks?.poststart, state, ctx.warn);
}
