// blkio (v1): weights and throttles. Weights go to CFQ's blkio.weight files when the kernel has them, else to BFQ's
// blkio.bfq.weight ones (runc's detectWeightFilenames); leaf weights exist only with CFQ. One device per write.
import type { Controller } from '../manager.js';
import { dec, type LinuxThrottleDevice } from '../resources.js';

const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

const dev = (d: { major: number; minor: number }): string => `${dec(d.major)}:${dec(d.minor)}`;

export const blkio: Controller = {
  name: 'blkio',
  set(f, r) {
    const b = r.blockIO;
    if (!b) return;
    const cfq = f.has('blkio.weight');
    const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
    const weightDeviceFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
    if (b.weight) f.write('blockIO.weight', weightFile, dec(b.weight));
    if (b.leafWeight) f.write('blockIO.leafWeight', 'blkio.leaf_weight', dec(b.leafWeight));
    for (const [i, wd] of (b.weightDevice ?? []).entries()) {
      if (wd.weight) f.write(`blockIO.weightDevice[${i}].weight`, weightDeviceFile, `${dev(wd)} ${dec(wd.weight)}`);
      if (wd.leafWeight) f.write(`blockIO.weightDevice[${i}].leafWeight`, 'blkio.leaf_weight_device', `${dev(wd)} ${dec(wd.leafWeight)}`);
    }
    for (const [key, file] of THROTTLES) {
      const list: LinuxThrottleDevice[] = b[key] ?? [];
      for (const [i, td] of list.entries()) f.write(`blockIO.${key}[${i}]`, file, `${dev(td)} ${dec(td.rate)}`);
    }
  },
};
