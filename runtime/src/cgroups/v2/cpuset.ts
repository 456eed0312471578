// cpuset (v2): cpuset.cpus, then cpuset.mems, when given. (A new v2 cgroup needs no filling in: empty means the parent's.)
import type { Controller } from '../manager.js';

export const cpuset: Controller = {
  name: 'cpuset',
  set(f, r) {
    if (r.cpu?.cpus) f.write('cpu.cpus', 'cpuset.cpus', r.cpu.cpus);
    if (r.cpu?.mems) f.write('cpu.mems', 'cpuset.mems', r.cpu.mems);
  },
};
