// cpuset (v1): a new cgroup starts with empty cpuset.cpus and cpuset.mems (unless cgroup.clone_children is set), and
// the kernel refuses tasks (ENOSPC) until both are set, and refuses values that are not a subset of the parent's
// (EACCES, so an empty parent refuses everything). Every level create() makes gets the values of its nearest ancestor
// that has them, and so does every empty level in between: a concurrent create (two containers under one new parent)
// may have made the parent and not filled it yet. Both write the same values, as runc's copy-if-empty does. Levels
// that have values are never written.
// set() writes linux.resources.cpu.cpus, then mems, when given (the same files and order on v2).
import * as path from 'node:path/posix';
import { CgroupError, CGROUP_CODES } from '../errors.js';
import type { CgroupIo } from '../io.js';
import type { Controller } from '../manager.js';

const FILES = ['cpuset.cpus', 'cpuset.mems'] as const;

/** The nearest ancestor's value of file, and the empty levels between it and dir, top-down. */
function nearestValue(dir: string, file: string, io: CgroupIo): { value: string; empty: string[] } {
  const empty: string[] = [];
  for (let d = path.dirname(dir); d !== '/' && io.exists(path.join(d, file)); d = path.dirname(d)) {
    const value = io.read(path.join(d, file)).trim();
    if (value !== '') return { value, empty };
    empty.unshift(d);
  }
  throw new CgroupError(CGROUP_CODES.noCpuset, `cgroup: no ancestor of ${dir} has ${file} set`, { path: dir });
}

export const cpuset: Controller = {
  name: 'cpuset',
  initDir(dir, io) {
    for (const file of FILES) {
      const own = path.join(dir, file);
      if (io.read(own).trim() !== '') continue;
      const { value, empty } = nearestValue(dir, file, io);
      for (const d of empty) io.write(path.join(d, file), value);
      io.write(own, value);
    }
  },
  set(f, r) {
    if (r.cpu?.cpus) f.write('cpu.cpus', 'cpuset.cpus', r.cpu.cpus);
    if (r.cpu?.mems) f.write('cpu.mems', 'cpuset.mems', r.cpu.mems);
  },
};
