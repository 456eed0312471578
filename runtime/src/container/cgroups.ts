// The container's view of cgroups: the manager for create/delete, plus the hierarchies a `cgroup` mount shows.
// What create made is recorded in the state (paths and created dirs) so later commands never re-derive it.
import * as path from 'node:path';
import { detect, type CgroupHost } from '../cgroups/detect.js';
import { type CgroupManager, UNIFIED, cgroupManager, fromPaths } from '../cgroups/manager.js';
import type { CgroupHierarchy } from '../rootfs/mounts.js';
import type { ContainerRecord } from '../state/store.js';

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

export function cgroupsFor(cgroupsPath: string | undefined, id: string, systemd: boolean): Cgroups {
  const host = detect();
  const m = cgroupManager(cgroupsPath, id, host, { systemd });
  return Object.assign(m, { mode: host.mode, hierarchies: () => hierarchiesOf(host, m.paths()) });
}

export function cgroupsFromRecord(rec: ContainerRecord): CgroupManager {
  return fromPaths(rec.cgroupPaths, rec.cgroupCreated ? { created: rec.cgroupCreated } : {});
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
