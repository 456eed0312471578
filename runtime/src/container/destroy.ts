// Removing a container: every process in its cgroup killed (when asked), cgroups removed, poststop hooks run,
// state dir removed. Shared by delete and by run when the container exits.
import type { Context } from '../cli/context.js';
import { OCI_VERSION } from '../config/spec.js';
import { runHooksWarn } from '../hooks/run.js';
import { libc } from '../linux/libc.js';
import { unmountBelow } from '../rootfs/host-mounts.js';
import type { ContainerRecord } from '../state/store.js';
import { cgroupsFromRecord } from './cgroups.js';
import { waitGone } from './wait.js';

/** Pids in the container's cgroup, only when create made that cgroup: a shared cgroup holds others' processes. */
function members(rec: ContainerRecord): number[] {
  return (rec.cgroupCreated?.length ?? 0) > 0 ? cgroupsFromRecord(rec).pids() : [];
}

export function killAll(rec: ContainerRecord, signal: number): void {
  const pids = new Set([...members(rec), rec.pid].filter((p) => p > 0));
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

export async function destroyContainer(ctx: Context, rec: ContainerRecord): Promise<void> {
  const cg = cgroupsFromRecord(rec);
  // Anything left in the cgroup (a container without a pid namespace can leave orphans) goes with it.
  for (const pid of members(rec)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    waitGone(pid);
  }
  ctx.debugLog(`delete ${rec.id}: removing cgroups ${Object.values(rec.cgroupPaths).join(' ')}`);
  await cg.destroy();
  if (rec.hostMounts) unmountBelow(rec.rootfs, libc.umountDetach);
  const state = { ociVersion: OCI_VERSION, id: rec.id, status: 'stopped', bundle: rec.bundle, ...(rec.annotations ? { annotations: rec.annotations } : {}) };
  runHooksWarn('poststop', rec.hooks?.poststop, state, ctx.warn);
  ctx.store.remove(rec.id);
}
