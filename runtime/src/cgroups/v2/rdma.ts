// rdma (v2): one `<device> hca_handle=N hca_object=M` line per device to rdma.max.
import type { Controller } from '../manager.js';
import { rdmaLine } from '../resources.js';

export const rdma: Controller = {
  name: 'rdma',
  set(f, r) {
    for (const [dev, l] of Object.entries(r.rdma ?? {})) f.write(`rdma[${JSON.stringify(dev)}]`, 'rdma.max', rdmaLine(dev, l));
  },
};
