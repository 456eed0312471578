// cpu (v1): cpu.shares (read back, since the kernel clamps it to 2..262144), the CFS quota, period and burst, cpu.idle,
// and the realtime runtime and period. The order is runc's (1.1, plus burst and idle from 1.2): a new period the kernel
// refuses with EINVAL (old quota / new period would exceed the parent's limit) is written again after the quota, and
// the same for burst and for the realtime pair. A burst the kernel has no file for is ignored, like runc 1.2 does.
import { CgroupError, CGROUP_CODES, errCode } from '../errors.js';
import type { Controller } from '../manager.js';
import { dec, fieldName, type ResourceFiles } from '../resources.js';

/** Writes a value that may have to wait for another one (EINVAL now); returns it if it must be written again later. */
function writeOrDefer(f: ResourceFiles, field: string, file: string, value: string, canRetry: boolean): string | undefined {
  try {
    f.write(field, file, value);
    return undefined;
  } catch (err) {
    if (errCode(err) !== 'EINVAL' || !canRetry) throw err;
    return value;
  }
}

export const cpu: Controller = {
  name: 'cpu',
  set(f, r) {
    const c = r.cpu;
    if (!c) return;
    if (c.shares) {
      f.write('cpu.shares', 'cpu.shares', dec(c.shares));
      const got = BigInt(f.read('cpu.shares', 'cpu.shares').trim());
      if (got !== BigInt(c.shares)) {
        const bound = got < BigInt(c.shares) ? 'maximum' : 'minimum';
        throw new CgroupError(CGROUP_CODES.notApplied, `${fieldName('cpu.shares')}: the kernel set ${f.dir}/cpu.shares to ${got}, not ${dec(c.shares)}: the ${bound} allowed cpu-shares is ${got}`);
      }
    }
    const period = c.period ? writeOrDefer(f, 'cpu.period', 'cpu.cfs_period_us', dec(c.period), Boolean(c.quota)) : undefined;
    let burst: string | undefined;
    if (c.burst !== undefined) {
      if (!f.has('cpu.cfs_burst_us')) {
        if (c.burst !== 0) f.warn(`${fieldName('cpu.burst')} is ignored: this kernel has no cpu.cfs_burst_us`);
      } else {
        burst = writeOrDefer(f, 'cpu.burst', 'cpu.cfs_burst_us', dec(c.burst), Boolean(c.quota));
      }
    }
    if (c.quota) {
      f.write('cpu.quota', 'cpu.cfs_quota_us', dec(c.quota));
      if (period !== undefined) f.write('cpu.period', 'cpu.cfs_period_us', period);
      if (burst !== undefined) f.write('cpu.burst', 'cpu.cfs_burst_us', burst);
    }
    // Idle 0 is the kernel's default: on a kernel without cpu.idle there is nothing to undo.
    if (c.idle !== undefined && (c.idle !== 0 || f.has('cpu.idle'))) f.write('cpu.idle', 'cpu.idle', dec(c.idle));
    const rtPeriod = c.realtimePeriod ? writeOrDefer(f, 'cpu.realtimePeriod', 'cpu.rt_period_us', dec(c.realtimePeriod), Boolean(c.realtimeRuntime)) : undefined;
    if (c.realtimeRuntime) {
      f.write('cpu.realtimeRuntime', 'cpu.rt_runtime_us', dec(c.realtimeRuntime));
      if (rtPeriod !== undefined) f.write('cpu.realtimePeriod', 'cpu.rt_period_us', rtPeriod);
    }
  },
};
