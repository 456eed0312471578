// hugetlb (v1): hugetlb.<pageSize>.limit_in_bytes (and .rsvd.limit_in_bytes) for each of linux.resources.hugepageLimits.
import type { Controller } from '../manager.js';
import { setHugepageLimits } from '../resources.js';

export const hugetlb: Controller = {
  name: 'hugetlb',
  set(f, r) {
    setHugepageLimits(f, r, '.limit_in_bytes');
  },
};
