// Which seccomp(2) filter flags the running kernel knows. The probe is libseccomp's: seccomp(SET_MODE_FILTER, flags,
// NULL) fails with EFAULT (the kernel got as far as reading the program) for flags it knows, and EINVAL for flags it
// does not. No filter is ever loaded, and no privilege is needed.
import { bind, errno } from '../linux/ffi.js';
import { FILTER_FLAGS } from './types.js';

const SECCOMP_SET_MODE_FILTER = 1;
const EFAULT = 14;
/** The seccomp syscall's number per Node.js architecture name. */
const SYS_SECCOMP: Record<string, number> = { x64: 317, ia32: 354, arm64: 277, arm: 383, riscv64: 277, loong64: 277, ppc64: 358, s390x: 348 };

const c = bind((lib) => ({ syscall: lib.func('long syscall(long nr, ...)') }));
const known = new Map<number, boolean>();

/** Whether the kernel accepts this combination of flags. */
export function kernelHasFlags(flags: number): boolean {
  const cached = known.get(flags);
  if (cached !== undefined) return cached;
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) return false;
  const rc = Number(c().syscall(nr, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags, 'void *', null));
  const ok = rc < 0 && errno() === EFAULT;
  known.set(flags, ok);
  return ok;
}

const F = FILTER_FLAGS;

/**
 * Whether the kernel supports a flag as a profile would use it: WAIT_KILLABLE_RECV only comes with a listener, and a
 * listener with TSYNC needs TSYNC_ESRCH, so each is probed in the company the compiler gives it.
 */
export function kernelHasFlag(flag: number): boolean {
  if (flag === F.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) return kernelHasFlags(flag | F.SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (flag === F.SECCOMP_FILTER_FLAG_TSYNC_ESRCH) return kernelHasFlags(flag | F.SECCOMP_FILTER_FLAG_TSYNC);
  return kernelHasFlags(flag);
}

/** The names of the set flags that the kernel lacks. */
export function missingFlags(flags: number, has: (flag: number) => boolean = kernelHasFlag): string[] {
  return Object.entries(FILTER_FLAGS)
    .filter(([, bit]) => flags & bit && !has(bit))
    .map(([name]) => name);
}
