// The features document (features.md, features-linux.md, runtime spec v1.3): what this build of tsrun supports,
// built from the code's own tables (hook kinds, namespace types, mount options the parser knows, capabilities,
// seccomp names) so that it cannot claim more than the code does.
import { CAPABILITIES } from '../process/capabilities.js';
import { MPOL_FLAGS, MPOL_MODES } from '../process/sched.js';
import { PROPAGATION, parseMountOptions } from '../rootfs/mount-options.js';
import { kernelHasFlag } from '../seccomp/kernel.js';
import { ACTIONS, ARCHITECTURES, FILTER_FLAGS, OPERATORS } from '../seccomp/types.js';
import { HOOK_KINDS, NAMESPACE_TYPES, OCI_VERSION } from './spec.js';

export const TSRUN_VERSION = '0.1.0';

/**
 * mount(8) option names a config may use (the ones runc's features list, and their negations). Each is kept only if
 * parseMountOptions understands it (a flag, a propagation or an extension), not passed through as filesystem data.
 */
const MOUNT_OPTION_CANDIDATES = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime', 'loud', 'mand',
  'noatime', 'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'nomand', 'norelatime', 'nostrictatime',
  'nosuid', 'nosymfollow', 'rbind', 'relatime', 'remount', 'ro', 'rw', 'silent', 'strictatime', 'suid', 'symfollow',
  'sync', 'tmpcopyup', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'ratime', 'rnoatime',
  'idmap', 'ridmap',
];

export function supportedMountOptions(): string[] {
  const known = MOUNT_OPTION_CANDIDATES.filter((o) => {
    const p = parseMountOptions([o]);
    return p.data.length === 0;
  });
  return [...new Set([...known, ...Object.keys(PROPAGATION)])].sort();
}

/** The seccomp flags a profile may name (the compiler refuses the two the kernel implies itself). */
const SECCOMP_FLAGS = Object.keys(FILTER_FLAGS).filter((f) => f !== 'SECCOMP_FILTER_FLAG_NEW_LISTENER' && f !== 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH');

/** features-linux.md: supportedFlags may be a subset of knownFlags, for what the running kernel lacks. */
function supportedSeccompFlags(kernelHas: (flag: number) => boolean): string[] {
  return SECCOMP_FLAGS.filter((f) => kernelHas(FILTER_FLAGS[f as keyof typeof FILTER_FLAGS]));
}

/** SCMP_ACT_NOTIFY needs a listener fd from the kernel (Linux 5.0); without one, it is not an action we can offer. */
function seccompActions(kernelHas: (flag: number) => boolean): string[] {
  return ACTIONS.filter((a) => a !== 'SCMP_ACT_NOTIFY' || kernelHas(FILTER_FLAGS.SECCOMP_FILTER_FLAG_NEW_LISTENER));
}

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: Record<string, unknown>;
  annotations: Record<string, string>;
}

export function features(kernelHas: (flag: number) => boolean = kernelHasFlag): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: seccompActions(kernelHas),
        operators: [...OPERATORS],
        archs: [...ARCHITECTURES],
        knownFlags: SECCOMP_FLAGS,
        supportedFlags: supportedSeccompFlags(kernelHas),
      },
      // Whether tsrun implements them, whatever this host has (features-linux.md): a profile or label asked for on a
      // host without the LSM is refused at create.
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: true, schemata: true, monitoring: true },
      memoryPolicy: { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) },
      netDevices: { enabled: true },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {
      'io.github.tsrun.version': TSRUN_VERSION,
      // The spec's features have no field for how linux.resources.devices is enforced; engines may want to know.
      'io.github.tsrun.cgroup.devices': 'v1: devices.allow/devices.deny; v2: eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)',
    },
  };
}
