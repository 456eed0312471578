// Docker's and podman's seccomp profile format (moby's profiles/seccomp/default.json, containers-common's
// /usr/share/containers/seccomp.json) turned into linux.seccomp, as those engines do before they hand a config.json
// to the runtime: keep the architectures of this host, and the rules whose includes/excludes fit the container's
// capabilities, architecture and kernel. The runtime itself never reads this format; tests and tools do.
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompArch } from './types.js';

interface Filter {
  arches?: string[] | null;
  caps?: string[] | null;
  minKernel?: string | null;
}

export interface DockerSyscall {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: LinuxSeccompArg[] | null;
  includes?: Filter | null;
  excludes?: Filter | null;
}

export interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSyscall[] | null;
}

export interface DockerProfileOptions {
  /** The host's architecture; default SCMP_ARCH_X86_64. */
  arch?: SeccompArch;
  /** The container's bounding capabilities, e.g. CAP_SYS_ADMIN. */
  capabilities?: readonly string[];
  /** The running kernel's version ("6.1.0"); rules with a higher minKernel are left out. Unknown: keep them. */
  kernel?: string;
}

/** The names the profiles use for architectures in includes/excludes (Go's GOARCH). */
const GOARCH: Partial<Record<SeccompArch, string>> = {
  SCMP_ARCH_X86_64: 'amd64',
  SCMP_ARCH_X86: '386',
  SCMP_ARCH_AARCH64: 'arm64',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_RISCV64: 'riscv64',
};

function olderThan(kernel: string, min: string): boolean {
  const a = kernel.split(/[.-]/).map((n) => parseInt(n, 10) || 0);
  const b = min.split(/[.-]/).map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

export function fromDockerProfile(profile: DockerProfile, options: DockerProfileOptions = {}): LinuxSeccomp {
  const arch = options.arch ?? 'SCMP_ARCH_X86_64';
  const goarch = GOARCH[arch] ?? arch;
  const caps = new Set(options.capabilities ?? []);
  const kept = (s: DockerSyscall): boolean => {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goarch)) return false;
    if (exc.arches?.includes(goarch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (exc.caps?.some((c) => caps.has(c))) return false;
    if (inc.minKernel && options.kernel && olderThan(options.kernel, inc.minKernel)) return false;
    return true;
  };

  const architectures = profile.archMap?.length
    ? profile.archMap.filter((m) => m.architecture === arch).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])
    : (profile.architectures ?? []);
  const syscalls = (profile.syscalls ?? []).filter(kept).map((s): LinuxSyscall => {
    const out: LinuxSyscall = { names: s.names?.length ? s.names : s.name ? [s.name] : [], action: s.action };
    if (s.errnoRet !== undefined && s.errnoRet !== null) out.errnoRet = s.errnoRet;
    if (s.args?.length) out.args = s.args;
    return out;
  });

  const out: LinuxSeccomp = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet !== undefined && profile.defaultErrnoRet !== null) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = profile.flags;
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  return out;
}
