// tsrund puts each container in /tsrund/<namespace>/<id> (unless its spec names a cgroup). tsrun removes the
// container's own cgroup; the namespace's and tsrund's are removed here once empty, in every hierarchy mounted
// (v1 controllers, v2, hybrid). rmdir(2) refuses a cgroup that still has children or processes (EBUSY), so a
// cgroup something else uses is never removed; the caller makes sure none of its own creates is under way.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Mount points of the cgroup (v1) and cgroup2 filesystems, from /proc/self/mountinfo. */
export function cgroupMounts(mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const type = after?.split(' ')[0];
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    const mountPoint = before?.split(' ')[4];
    if (mountPoint) out.push(mountPoint.replace(/\\040/g, ' '));
  }
  return out;
}

/** Removes the cgroups at the given relative paths (deepest first) in every hierarchy where they are empty. */
export function removeEmptyCgroups(relative: string[], mounts = cgroupMounts()): void {
  for (const root of mounts) {
    for (const rel of relative) {
      try {
        fs.rmdirSync(path.join(root, rel));
      } catch {
        // absent, or still in use: left as it is
      }
    }
  }
}
