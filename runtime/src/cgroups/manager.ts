// The one cgroup interface the runtime uses, and the factory that picks the v1 or v2 implementation.
//
// A manager places one container in every hierarchy the host has: v1 puts it in each mounted hierarchy (named ones
// and, in hybrid mode, the cgroup2 mount too, like runc 1.1); v2 in one directory of the unified hierarchy.
// paths() and createdDirs() go into the container's state, so later commands rebuild the manager with fromPaths()
// instead of deriving paths again. Resource controllers plug in as one file per controller under v1/ and v2/
// (see Controller), each working on a given directory.
import { UNIFIED } from './base.js';
import { detect, type CgroupHost } from './detect.js';
import { CgroupError, CGROUP_CODES } from './errors.js';
import { nodeIo, type CgroupIo } from './io.js';
import { hierarchyDir, parseCgroupsPath, requireCgroupfs } from './paths.js';
import type { ApplyOptions, LinuxResources, ResourceFiles } from './resources.js';
import { V1Manager } from './v1/index.js';
import { V2Manager } from './v2/index.js';

export { UNIFIED };

export interface CgroupManager {
  readonly version: 'v1' | 'v2';
  /** Absolute cgroup directory per hierarchy: v1 names (cpu, cpuacct, name=systemd, ...) and UNIFIED. */
  paths(): Record<string, string>;
  /** Directories create() made itself, top-down; destroy() removes only these (and what the container made below). */
  createdDirs(): string[];
  /** Creates the directories; on failure removes the ones it made and throws. */
  create(): Promise<void>;
  /**
   * Writes linux.resources into the container's cgroups, as runc 1.1's Set does: create calls it after create() and
   * before the first process joins, `update` on a live container with the full new resources (a setting left out is
   * left as it is, except devices: v1 device rules are always made exactly the given rules plus runc's default ones).
   * Values are checked first; a failed write stops at that write and throws a CgroupError naming the setting.
   */
  apply(resources: LinuxResources, opts?: ApplyOptions): void;
  /** Moves pid into the container's cgroup in every hierarchy. */
  join(pid: number): void;
  procsFiles(): string[];
  /** Every pid in the container's cgroup, child cgroups included. */
  pids(): number[];
  /** Removes the container's cgroups (children first), retrying briefly while the last processes exit. Idempotent. */
  destroy(): Promise<void>;
}

/** One directory of the container: a hierarchy's mount (root) and the names that share it (cpu + cpuacct). */
export interface Placement {
  dir: string;
  /** The hierarchy's mount point; undefined when rebuilt from paths (then found by walking up). */
  root: string | undefined;
  names: string[];
}

/**
 * A controller's file under v1/ or v2/. initDir runs on every directory create() makes, top-down. apply() runs check()
 * of every controller before any controller's set(), so a bad value leaves the cgroup untouched.
 */
export interface Controller {
  readonly name: string;
  initDir?(dir: string, io: CgroupIo): void;
  /** Refuses values no file can take (throws invalid()). */
  check?(r: LinuxResources): void;
  /** Writes this controller's part of r into files.dir. */
  set?(files: ResourceFiles, r: LinuxResources): void;
}

export interface ManagerOptions {
  /** --systemd-cgroup: cgroupsPath is "slice:prefix:name". */
  systemd?: boolean;
  io?: CgroupIo;
}

export function cgroupManager(cgroupsPath: string | undefined, id: string, host: CgroupHost = detect(), opts: ManagerOptions = {}): CgroupManager {
  const { inner } = requireCgroupfs(parseCgroupsPath(cgroupsPath, id, { systemd: opts.systemd ?? false }), host.systemd);
  const io = opts.io ?? nodeIo;
  if (host.mode === 'v2') {
    const dir = hierarchyDir(host.unified, inner, { name: '', path: host.own[''], parent: true });
    return new V2Manager([{ dir, root: host.unified.mountPoint, names: [UNIFIED] }], io, []);
  }
  const placements: Placement[] = host.mounts.map((m) => {
    const first = m.controllers[0] ?? '';
    return { dir: hierarchyDir(m, inner, { name: first, path: host.own[first] }), root: m.mountPoint, names: [...m.controllers] };
  });
  if (host.unified) {
    // runc 1.1 puts a relative path directly under the unified mount; we use the own cgroup, as for every v1
    // hierarchy (the same place when the runtime runs in the root cgroup).
    placements.push({ dir: hierarchyDir(host.unified, inner, { name: '', path: host.own[''] }), root: host.unified.mountPoint, names: [UNIFIED] });
  }
  return new V1Manager(placements, io, []);
}

/** Rebuilds a manager from a container's recorded paths() (and createdDirs(); default: the container's own dirs). */
export function fromPaths(paths: Record<string, string>, opts: { created?: string[]; io?: CgroupIo } = {}): CgroupManager {
  const byDir = new Map<string, string[]>();
  for (const [name, dir] of Object.entries(paths)) {
    if (!dir.startsWith('/')) throw new CgroupError(CGROUP_CODES.badState, `cgroup: recorded path for ${name || '""'} is not absolute: ${JSON.stringify(dir)}`);
    byDir.set(dir, [...(byDir.get(dir) ?? []), name]);
  }
  if (byDir.size === 0) throw new CgroupError(CGROUP_CODES.badState, 'cgroup: no recorded cgroup paths');
  const placements: Placement[] = [...byDir].map(([dir, names]) => ({ dir, root: undefined, names }));
  const created = opts.created ?? [...byDir.keys()];
  const io = opts.io ?? nodeIo;
  const names = Object.keys(paths);
  return names.length === 1 && names[0] === UNIFIED ? new V2Manager(placements, io, created) : new V1Manager(placements, io, created);
}
