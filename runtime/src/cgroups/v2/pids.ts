// pids (v2): pids.max, as on v1 (see pidsMax for -1 and 0).
import type { Controller } from '../manager.js';
import { pidsMax } from '../resources.js';

export const pids: Controller = {
  name: 'pids',
  set(f, r) {
    const v = pidsMax(r);
    if (v !== undefined) f.write('pids.limit', 'pids.max', v);
  },
};
