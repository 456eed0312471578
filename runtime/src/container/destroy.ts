// Removing a container: every process in its cgroup killed (when asked), cgroups removed, poststop hooks run,
// state dir removed. Shared by delete and by run when the container exits.
import type { Context } from '../cli/context.js';
import { OCI_VERSION } from '../config/spec.js';
import { runHooksWarn } from '../hooks/run.js';
import { libc } from '../linux/libc.js';
import { containerRdt, removeRdt } from '../intelrdt/resctrl.js';
import { unmountBelow } from '../rootfs/host-mounts.js';
import type { ContainerRecord } from '../state/store.js';
import { freezerOf, hasCgroupKill, isFrozen, killCgroup, setFrozen } from '../cgroups/freezer.js';
import { UNIFIED } from '../cgroups/manager.js';
import { cgroupsFromRecord } from './cgroups.js';
import { waitGone } from './wait.js';

/** Pids in the container's cgroup, only when create made that cgroup: a shared cgroup holds others' processes. */
function members(rec: ContainerRecord): number[] {
  return (rec.cgroupCreated?.length ?? 0) > 0 ? cgroupsFromRecord(rec).pids() : [];
}

const SIGKILL = 9;

/**
 * Signals every process in the container's cgroup (and its init), as runc's signalAllProcesses: the cgroup is frozen
 * while its pids are listed and signalled so nothing forks past the list, then thawed again; after SIGKILL it is
 * always thawed (a frozen process cannot die), otherwise it is left paused if it was. On a cgroup v2 host, SIGKILL
 * of a cgroup create made goes through cgroup.kill, which reaches every process at once.
 */
export function killAll(rec: ContainerRecord, signal: number): void {
  const own = (rec.cgroupCreated?.length ?? 0) > 0;
  const v2dir = Object.keys(rec.cgroupPaths).length === 1 ? (rec.cgroupPaths[UNIFIED] ?? rec.cgroupPaths['']) : undefined;
  if (signal === SIGKILL && own && v2dir && rec.cgroupCreated?.includes(v2dir) && hasCgroupKill(v2dir)) {
    try {
      killCgroup(v2dir);
      const f = freezerOf(rec.cgroupPaths);
      if (f && isFrozen(f)) setFrozen(f, false);
      return;
    } catch {
      // fall back to signalling each pid
    }
  }
  const f = own ? freezerOf(rec.cgroupPaths) : undefined;
  let wasFrozen = false;
  if (f) {
    try {
      wasFrozen = isFrozen(f);
      if (!wasFrozen) setFrozen(f, true);
    } catch {
      // a freezer that cannot freeze: signal without it
    }
  }
  try {
    const pids = new Set([...members(rec), rec.pid].filter((p) => p > 0));
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
  } finally {
    if (f && (signal === SIGKILL || !wasFrozen)) {
      try {
        setFrozen(f, false);
      } catch {
        // the cgroup may be gone already
      }
    }
  }
}

export async function destroyContainer(ctx: Context, rec: ContainerRecord): Promise<void> {
  const cg = cgroupsFromRecord(rec);
  // Anything left in the cgroup (a container without a pid namespace can leave orphans) goes with it.
  const left = members(rec);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  // A paused container's processes die only once thawed.
  const f = left.length > 0 ? freezerOf(rec.cgroupPaths) : undefined;
  try {
    if (f && isFrozen(f)) setFrozen(f, false);
  } catch {
    // the cgroup may be gone already
  }
  for (const pid of left) waitGone(pid);
  ctx.debugLog(`delete ${rec.id}: removing cgroups ${Object.values(rec.cgroupPaths).join(' ')}`);
  await cg.destroy();
  // linux.intelRdt: the groups this container made (intelrdt/resctrl.ts); a pre-configured closID stays.
  try {
    const rdt = containerRdt(rec.config.linux?.intelRdt, rec.id);
    if (rdt) removeRdt(rdt.group);
  } catch (e) {
    ctx.warn((e as Error).message);
  }
  if (rec.hostMounts) unmountBelow(rec.rootfs, libc.umountDetach);
  const state = { ociVersion: OCI_VERSION, id: rec.id, status: 'stopped', bundle: rec.bundle, ...(rec.annotations ? { annotations: rec.annotations } : {}) };
  runHooksWarn('poststop', rec.hooks?.poststop, state, ctx.warn);
  ctx.store.remove(rec.id);
}
