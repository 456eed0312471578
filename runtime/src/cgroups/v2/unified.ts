// linux.resources.unified (v2): each key is a file of the container's cgroup, written last with its value as given,
// so it overrides what the typed settings wrote (runc's setUnified). A key for a controller the cgroup does not have
// fails with `linux.resources.unified["memory.high"]: controller "memory" is not available in <dir>`.
import type { Controller } from '../manager.js';
import { invalid } from '../resources.js';

const field = (key: string): string => `unified[${JSON.stringify(key)}]`;

export const unified: Controller = {
  name: 'unified',
  check(r) {
    for (const key of Object.keys(r.unified ?? {})) {
      if (key.includes('/') || key === '.' || key === '..') throw invalid(field(key), 'must be a file name of the container\'s cgroup (no "/")');
      if (!/^[^.]+\.[^.]/.test(key)) throw invalid(field(key), 'must have the form CONTROLLER.PARAMETER, e.g. memory.high');
    }
  },
  set(f, r) {
    for (const [key, value] of Object.entries(r.unified ?? {})) f.write(field(key), key, value);
  },
};
