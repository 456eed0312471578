// cpuset (v1): a new cgroup starts with empty cpuset.cpus and cpuset.mems (unless cgroup.clone_children is set), and
// the kernel refuses tasks (ENOSPC) until both are set. Every level create() makes gets the values of its nearest
// ancestor that has them. Directories we did not make are never written (runc would fill empty parents too).
// set() writes linux.resources.cpu.cpus, then mems, when given (the same files and order on v2).
import * as path from 'node:path/posix';
import { CgroupError, CGROUP_CODES } from '../errors.js';
import type { CgroupIo } from '../io.js';
import type { Controller } from '../manager.js';

const FILES = ['cpuset.cpus', 'cpuset.mems'] as const;

function nearestValue(dir: string, file: string, io: CgroupIo): string {
  for (let d = path.dirname(dir); d !== '/' && io.exists(path.join(d, file)); d = path.dirname(d)) {
    const value = io.read(path.join(d, file)).trim();
    if (value !== '') return value;
  }
  throw new CgroupError(CGROUP_CODES.noCpuset, `cgroup: no ancestor of ${dir} has ${file} set`, { path: dir });
}

export const cpuset: Controller = {
  name: 'cpuset',
  initDir(dir, io) {
    for (const file of FILES) {
      const own = path.join(dir, file);
      if (io.read(own).trim() === '') io.write(own, nearestValue(dir, file, io));
    }
  },
  set(f, r) {
    if (r.cpu?.cpus) f.write('cpu.cpus', 'cpuset.cpus', r.cpu.cpus);
    if (r.cpu?.mems) f.write('cpu.mems', 'cpuset.mems', r.cpu.mems);
  },
};
