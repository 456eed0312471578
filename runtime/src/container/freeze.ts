// pause and resume (runtime.md has no such operations; runc's): freeze or thaw every process in the container's
// cgroup through its freezer (cgroups/freezer.ts). Only a running container can be paused and only a paused one
// resumed; anything else is one line and leaves the container as it was.
import type { Context } from '../cli/context.js';
import { freezerOf, setFrozen } from '../cgroups/freezer.js';
import { TsrunError } from '../errors.js';
import { lockContainer } from './lock.js';
import { assertTransition } from '../state/lifecycle.js';
import { statusOf, type ContainerRecord } from '../state/store.js';


function freezerFor(rec: ContainerRecord, op: 'pause' | 'resume') {
  const f = freezerOf(rec.cgroupPaths);
  if (!f) throw new TsrunError('unsupported', `cannot ${op} container ${rec.id}: its cgroups have no freezer (no v1 freezer hierarchy, no cgroup.freeze)`);
  return f;
}

export function pauseContainer(ctx: Context, id: string): void {
  const lock = lockContainer(ctx, id);
  try {
    const rec = ctx.store.read(id);
    assertTransition(id, statusOf(ctx.store, rec), 'pause');
    const f = freezerFor(rec, 'pause');
    ctx.debugLog(`pause ${id}: freezing ${f.dir} (${f.kind})`);
    setFrozen(f, true);
  } finally {
    lock.close();
  }
}

export function resumeContainer(ctx: Context, id: string): void {
  const lock = lockContainer(ctx, id);
  try {
    const rec = ctx.store.read(id);
    assertTransition(id, statusOf(ctx.store, rec), 'resume');
    const f = freezerFor(rec, 'resume');
    ctx.debugLog(`resume ${id}: thawing ${f.dir} (${f.kind})`);
    setFrozen(f, false);
  } finally {
    lock.close();
  }
}
