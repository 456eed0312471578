// hugetlb (v2): hugetlb.<pageSize>.max (and .rsvd.max) for each of linux.resources.hugepageLimits.
import type { Controller } from '../manager.js';
import { setHugepageLimits } from '../resources.js';

export const hugetlb: Controller = {
  name: 'hugetlb',
  set(f, r) {
    setHugepageLimits(f, r, '.max');
  },
};
