// io (v2): weights and throttles from linux.resources.blockIO, as runc writes them.
//   weight        to io.bfq.weight as given when the BFQ scheduler is there, else to io.weight converted with runc's
//                 ConvertBlkIOToIOWeightValue: 1 + (weight - 10) * 9999 / 990 (v1's 10..1000 onto v2's 1..10000)
//   weightDevice  "<major>:<minor> <weight>" to io.bfq.weight, only where BFQ takes per-device weights (its file reads
//                 "default N" rather than a bare number, Linux 5.4+); otherwise ignored, like runc
//   throttle*     "<major>:<minor> rbps=N" (wbps, riops, wiops) to io.max, one device per write
// leafWeight has no v2 equivalent (apply() warns).
import type { Controller } from '../manager.js';
import { dec, type LinuxBlockIO } from '../resources.js';

export function blkioWeightToIoWeight(weight: number): bigint {
  return 1n + ((BigInt(Math.max(10, weight)) - 10n) * 9999n) / 990n;
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

const dev = (d: { major: number; minor: number }): string => `${dec(d.major)}:${dec(d.minor)}`;

export const io: Controller = {
  name: 'io',
  set(f, r) {
    const b: LinuxBlockIO = r.blockIO ?? {};
    const weighted = Boolean(b.weight) || (b.weightDevice?.length ?? 0) > 0;
    const bfq = weighted && f.has('io.bfq.weight');
    const perDevice = bfq && !/^\d+$/.test(f.read('blockIO.weightDevice', 'io.bfq.weight').trim());
    if (b.weight) {
      if (bfq) f.write('blockIO.weight', 'io.bfq.weight', dec(b.weight));
      else f.write('blockIO.weight', 'io.weight', blkioWeightToIoWeight(b.weight).toString());
    }
    if (perDevice) {
      for (const [i, wd] of (b.weightDevice ?? []).entries()) {
        if (wd.weight) f.write(`blockIO.weightDevice[${i}].weight`, 'io.bfq.weight', `${dev(wd)} ${dec(wd.weight)}`);
      }
    } else if ((b.weightDevice ?? []).some((wd) => wd.weight)) {
      f.warn(`linux.resources.blockIO.weightDevice is ignored: ${f.dir} has no per-device BFQ weights`);
    }
    for (const [key, op] of THROTTLES) {
      for (const [i, td] of (b[key] ?? []).entries()) f.write(`blockIO.${key}[${i}]`, 'io.max', `${dev(td)} ${op}=${dec(td.rate)}`);
    }
  },
};
