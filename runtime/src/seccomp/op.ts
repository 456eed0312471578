// From linux.seccomp to the plan's `seccomp` op: the compiled program (through the cache when the plan has one),
// checked against what the running kernel supports.
import { ConfigError } from '../config/errors.js';
import { lazyBuiltin } from '../lazy-builtin.js';
import type { Op } from '../plan/ops.js';
import { nativeArch } from './arch.js';
import { compileCached } from './cache.js';
import { kernelHasFlag, missingFlags } from './kernel.js';
import type { LinuxSeccomp } from './types.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os');

export interface SeccompOpOptions {
  /** The host's seccomp architecture; default: this machine's. */
  hostArch?: string;
  /** Whether the kernel knows a filter flag; default: probe it (tests pass a fake). */
  kernelHas?: (flag: number) => boolean;
  /** The program cache's directory (<state root>/@seccomp); none: always compile. */
  cacheDir?: string;
}

/**
 * The plan op that loads the profile's filter in the container's init. Flags the running kernel lacks are refused
 * here, by name, rather than left to fail in the init as a bare EINVAL.
 */
export function seccompOp(profile: LinuxSeccomp, o: SeccompOpOptions = {}): Op {
  const { program, flags } = compileCached(profile, o.hostArch ?? nativeArch(), o.cacheDir);
  const missing = missingFlags(flags, o.kernelHas ?? kernelHasFlag);
  if (missing.length) {
    const why = missing.map((f) => (f === 'SECCOMP_FILTER_FLAG_NEW_LISTENER' ? `${f} (for SCMP_ACT_NOTIFY)` : f)).join(', ');
    throw ConfigError.at('config.json', 'linux.seccomp.flags', `not supported by this kernel (${os().release()}): ${why}`);
  }
  return { op: 'seccomp', flags, program: program.toString('hex') };
}
