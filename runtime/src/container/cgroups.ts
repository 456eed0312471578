// The container's view of cgroups: the manager for create/delete, plus the hierarchies a `cgroup` mount shows.
// What create made is recorded in the state (paths and created dirs) so later commands never re-derive it.
import * as path from 'node:path';
import { detect, type CgroupHost, type CgroupMount } from '../cgroups/detect.js';
import { type CgroupManager, UNIFIED, cgroupManager } from '../cgroups/manager.js';
import type { CgroupHierarchy } from '../rootfs/mounts.js';
import type { ContainerRecord } from '../state/store.js';
import type { ApplyOptions, LinuxResources } from '../cgroups/resources.js';
import { checkAsked, managerFromPaths, rootlessManager } from './rootless-cgroups.js';

export interface Cgroups extends CgroupManager {
  mode: 'v1' | 'v2';
  hierarchies(): CgroupHierarchy[];
}

function hierarchiesOf(host: CgroupHost, paths: Record<string, string>): CgroupHierarchy[] {
  if (host.mode === 'v2') {
    const dir = paths[UNIFIED] ?? Object.values(paths)[0] ?? '';
    return [{ name: '', fstype: 'cgroup2', data: '', dir, aliases: [] }];
  }
  const out: CgroupHierarchy[] = [];
  for (const m of host.mounts) {
    const first = m.controllers[0];
    if (!first) continue;
    const dir = paths[first];
    if (!dir) continue;
    const name = path.basename(m.mountPoint);
    const named = first.startsWith('name=');
    const aliases = m.controllers.length > 1 ? m.controllers.filter((c) => c !== name) : [];
    out.push({ name, fstype: 'cgroup', data: named ? `none,${first}` : m.controllers.join(','), dir, aliases });
  }
  const unified = paths[UNIFIED];
  if (host.unified && unified) out.push({ name: 'unified', fstype: 'cgroup2', data: '', dir: unified, aliases: [] });
  return out;
}

export function cgroupsFor(cgroupsPath: string | undefined, id: string, systemd: boolean, rootless = false): Cgroups {
  const host = detect();
  const full = cgroupManager(cgroupsPath, id, host, { systemd });
  const m = rootless ? rootlessManager(full, { explicitPath: (cgroupsPath ?? '') !== '' }) : full;
  // Where a rootless container has no cgroup of its own it stays in the runtime's, and a cgroup mount shows that one.
  const shown = rootless ? () => ({ ...ownPaths(host), ...m.paths() }) : () => m.paths();
  return Object.assign(m, { mode: host.mode, hierarchies: () => hierarchiesOf(host, shown()) });
}

/** The runtime's own cgroup directory in every hierarchy it can see. */
function ownPaths(host: CgroupHost): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (name: string, mount: CgroupMount, own: string | undefined) => {
    if (own === undefined) return;
    const rel = path.posix.relative(mount.root, own);
    if (rel !== '..' && !rel.startsWith('../')) out[name] = path.posix.join(mount.mountPoint, rel);
  };
  if (host.mode === 'v2') {
    add(UNIFIED, host.unified, host.own['']);
    return out;
  }
  for (const m of host.mounts) for (const c of m.controllers) add(c, m, host.own[c]);
  if (host.unified) add(UNIFIED, host.unified, host.own['']);
  return out;
}

/** A rootless container may have been created without cgroups: then its record has no paths. */
export function cgroupsFromRecord(rec: ContainerRecord, rootless = false): CgroupManager {
  const m = managerFromPaths(rec.cgroupPaths, rec.cgroupCreated);
  if (!rootless) return m;
  return Object.assign(Object.create(m) as CgroupManager, {
    apply(r: LinuxResources, o: ApplyOptions = {}) {
      checkAsked(r, m.version, rec.cgroupPaths, () => 'it could not be created when the container was');
      m.apply(r, { ...o, skipDevices: true });
    },
  });
}

/**
 * How the native stage places the container: it joins each v1 hierarchy by writing "0" to `tasks` (it is
 * single-threaded, so that moves the whole process, without the global lock cgroup.procs takes), and the init is
 * cloned straight into the cgroup2 directory (clone3 CLONE_INTO_CGROUP).
 */
export function joinTargets(paths: Record<string, string>): { tasks: string[]; cgroup2?: string } {
  const tasks = [...new Set(Object.entries(paths).filter(([k]) => k !== UNIFIED).map(([, dir]) => `${dir}/tasks`))];
  const cgroup2 = paths[UNIFIED];
  return cgroup2 ? { tasks, cgroup2 } : { tasks };
}
