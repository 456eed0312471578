// Where a container's cgroup goes: runc 1.1's rules for linux.cgroupsPath with the cgroupfs driver
// (libcontainer/specconv CreateCgroupConfig, cgroups/fs/paths.go, cgroups/fs2/defaultpath.go):
//
//   cgroupsPath      v1 hierarchy (and hybrid unified)             v2 (unified only)
//   "/a/b"           <mount point>/a/b                             <mount point>/a/b
//   "a/b"            <mount point>/<own cgroup>/a/b                <mount point>/<parent of own cgroup>/a/b
//   "" or absent     as "a/b" with the container id: <own>/<id>    <parent of own cgroup>/<id>
//
// "own cgroup" is this process's entry in /proc/self/cgroup for that hierarchy, made relative to the mount's root
// (nested containers). v2 uses its parent because the runtime's own cgroup holds processes, and a cgroup with
// processes cannot enable controllers for children. runc silently clamps ".." at the root; we refuse such paths, and
// paths naming the root or the runtime's own cgroup (destroy would remove it). With --systemd-cgroup the form is
// "slice:prefix:name", which needs systemd.
import * as path from 'node:path/posix';
import type { CgroupMount } from './detect.js';
import { CgroupError, CGROUP_CODES } from './errors.js';

export type CgroupsPath =
  | { driver: 'cgroupfs'; given: string; inner: string }
  | { driver: 'systemd'; given: string; slice: string; prefix: string; name: string };

const invalid = (given: string, why: string): CgroupError =>
  new CgroupError(CGROUP_CODES.invalidPath, `cgroupsPath ${JSON.stringify(given)}: ${why}`);

/** Normalizes "//a/./b/" to "/a/b" (relative stays relative); refuses ".." that escapes, and empty results. */
export function cleanCgroupsPath(given: string): string {
  if (given.includes('\0')) throw invalid(given, 'contains a NUL byte');
  const absolute = given.startsWith('/');
  const parts: string[] = [];
  for (const seg of given.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.pop() === undefined) {
        throw invalid(given, absolute ? '".." leads above the cgroup hierarchy root' : '".." leads outside the cgroup it is relative to');
      }
      continue;
    }
    parts.push(seg);
  }
  if (parts.length === 0) {
    throw invalid(given, absolute ? 'names the root cgroup; a container needs a cgroup of its own' : 'names the runtime\'s own cgroup; a container needs a cgroup of its own');
  }
  return (absolute ? '/' : '') + parts.join('/');
}

/**
 * Validates linux.cgroupsPath for the chosen driver and fills in the default from the container id
 * (runc: cgroupfs -> relative "<id>"; systemd -> "system.slice:runc:<id>").
 */
export function parseCgroupsPath(cgroupsPath: string | undefined, id: string, opts: { systemd?: boolean } = {}): CgroupsPath {
  const given = cgroupsPath ?? '';
  if (!opts.systemd) return { driver: 'cgroupfs', given, inner: cleanCgroupsPath(given === '' ? id : given) };
  if (given === '') return { driver: 'systemd', given, slice: 'system.slice', prefix: 'runc', name: id };
  const parts = given.split(':');
  const [slice, prefix, name] = parts;
  if (parts.length !== 3 || slice === undefined || prefix === undefined || name === undefined) {
    throw invalid(given, 'expected the form "slice:prefix:name" for the systemd cgroup driver');
  }
  if (slice !== '' && (!slice.endsWith('.slice') || slice.includes('/'))) throw invalid(given, `slice ${JSON.stringify(slice)} must end in ".slice" and contain no "/"`);
  if (name === '' || name.includes('/') || prefix.includes('/')) throw invalid(given, 'prefix and name must contain no "/", and name must not be empty');
  return { driver: 'systemd', given, slice: slice === '' ? 'system.slice' : slice, prefix, name };
}

/** Refuses a systemd-form path when systemd is not running (and, for now, always: only cgroupfs is implemented). */
export function requireCgroupfs(p: CgroupsPath, systemdRunning: boolean): Extract<CgroupsPath, { driver: 'cgroupfs' }> {
  if (p.driver === 'cgroupfs') return p;
  if (!systemdRunning) {
    throw new CgroupError(CGROUP_CODES.noSystemd, `cgroupsPath ${JSON.stringify(p.given)}: systemd cgroup driver is not available (no systemd running)`);
  }
  throw new CgroupError(CGROUP_CODES.systemdUnsupported, `cgroupsPath ${JSON.stringify(p.given)}: the systemd cgroup driver is not supported yet; run without --systemd-cgroup`);
}

/**
 * The container's directory in one hierarchy. `own.path` is this process's cgroup in hierarchy `own.name` (from
 * /proc/self/cgroup, '' for cgroup2); `own.parent` selects v2's rule of starting from its parent.
 */
export function hierarchyDir(mount: CgroupMount, inner: string, own: { name: string; path: string | undefined; parent?: boolean }): string {
  const name = own.name;
  if (inner.startsWith('/')) return path.join(mount.mountPoint, inner);
  if (own.path === undefined) {
    throw new CgroupError(CGROUP_CODES.invalidPath, `cgroup: relative cgroupsPath ${JSON.stringify(inner)}: /proc/self/cgroup has no entry for the ${name || 'cgroup2'} hierarchy`);
  }
  const base = path.relative(mount.root, own.parent ? path.dirname(own.path) : own.path);
  if (base === '..' || base.startsWith('../')) {
    throw new CgroupError(CGROUP_CODES.invalidPath, `cgroup: relative cgroupsPath ${JSON.stringify(inner)}: own cgroup ${own.path} is outside the ${mount.mountPoint} mount (root ${mount.root})`);
  }
  return path.join(mount.mountPoint, base, inner);
}
