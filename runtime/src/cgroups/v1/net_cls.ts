// net_cls (v1): net_cls.classid, only when non-zero (0 is the kernel's default; runc skips it too).
import type { Controller } from '../manager.js';
import { dec } from '../resources.js';

export const netCls: Controller = {
  name: 'net_cls',
  set(f, r) {
    const id = r.network?.classID;
    if (id) f.write('network.classID', 'net_cls.classid', dec(id));
  },
};
