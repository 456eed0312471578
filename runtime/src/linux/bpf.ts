// bpf(2) for cgroup device filters: load a BPF_PROG_TYPE_CGROUP_DEVICE program and make it the one a cgroup2
// directory runs, as runc 1.1 does: attached with BPF_F_ALLOW_MULTI (programs of ancestor cgroups, e.g. systemd's,
// keep running too: a device must pass all of them), replacing the single program we attached before atomically with
// BPF_F_REPLACE (Linux 5.6+), or else attaching the new one first and detaching every older one, so the cgroup is
// never without a filter.
//
// Failures are one line: `bpf(BPF_PROG_LOAD): EINVAL: <the verifier's last line>`, `bpf(BPF_PROG_ATTACH): EPERM
// (operation not permitted)`.
import * as fs from 'node:fs';
import { errnoName, strerror } from './errno.js';
import { bind, errno, koffi } from './ffi.js';

const SYS_BPF: Partial<Record<string, number>> = { x64: 321, arm64: 280, ia32: 357, riscv64: 280, ppc64: 361, s390x: 351 };
const CMD = { PROG_LOAD: 5, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_GET_FD_BY_ID: 13, PROG_QUERY: 16 } as const;
const CMD_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, `BPF_${k}`]));
const PROG_TYPE_CGROUP_DEVICE = 15;
const ATTACH_CGROUP_DEVICE = 6;
const F_ALLOW_MULTI = 2;
const F_REPLACE = 4;
const RLIMIT_MEMLOCK = 8;
/** The kernel takes any attr size up to its own, as long as the bytes it does not know are zero. */
const ATTR_SIZE = 128;
const LOG_SIZE = 1 << 16;
/** A cgroup holds at most 64 programs per attach type. */
const MAX_PROGS = 64;
const E = { EPERM: 1, EACCES: 13, EINVAL: 22, ENOSPC: 28 } as const;

const c = bind((lib) => ({
  syscall: lib.func('long syscall(long nr, ...)'),
  setrlimit: lib.func('int setrlimit(int resource, const uint64_t *rlim)'),
  getrlimit: lib.func('int getrlimit(int resource, _Out_ uint64_t *rlim)'),
  close: lib.func('int close(int fd)'),
}));

export class BpfError extends Error {
  /** The errno name (EPERM, EINVAL, ...), as node:fs errors carry it. */
  readonly code: string;

  constructor(
    readonly cmd: string,
    readonly errno: number,
    detail?: string,
  ) {
    super(`bpf(${cmd}): ${errnoName(errno)}${detail ? `: ${detail}` : ` (${strerror(errno)})`}`);
    this.name = 'BpfError';
    this.code = errnoName(errno);
  }
}

function sysBpf(cmd: number, attr: Buffer): number {
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new BpfError(CMD_NAME[cmd] ?? String(cmd), 38, `no bpf(2) syscall number for ${process.arch}`);
  const rc = Number(c().syscall(nr, 'int', cmd, 'void *', attr, 'uint', ATTR_SIZE));
  return rc < 0 ? -errno() : rc;
}

function check(cmd: number, rc: number): number {
  if (rc < 0) throw new BpfError(CMD_NAME[cmd] ?? String(cmd), -rc);
  return rc;
}

const addr = (b: Buffer): bigint => koffi.address(b);

/** The verifier's last line that says what it refused (after it come only its statistics). */
export function verifierReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const stats = /^(processed \d+ insns|verification time|stack depth|max_states_per_insn)/;
  return lines.filter((l) => !stats.test(l)).pop() ?? '';
}

const cString = (b: Buffer): string => b.subarray(0, Math.max(0, b.indexOf(0))).toString('utf8');

/**
 * Loads a cgroup device program (struct bpf_insn[]) and returns its fd. Without a verifier log first (as libbpf does:
 * the log costs time); a refused program is loaded again with one, for the error message.
 */
export function loadDeviceProgram(insns: Uint8Array, license: string): number {
  const code = Buffer.from(insns);
  const lic = Buffer.from(`${license}\0`);
  const load = (log?: Buffer): number => {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(PROG_TYPE_CGROUP_DEVICE, 0);
    attr.writeUInt32LE(code.length / 8, 4);
    attr.writeBigUInt64LE(addr(code), 8);
    attr.writeBigUInt64LE(addr(lic), 16);
    if (log) {
      attr.writeUInt32LE(1, 24);
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(addr(log), 32);
    }
    attr.write('tsrun_devices', 48, 15, 'latin1');
    attr.writeUInt32LE(ATTACH_CGROUP_DEVICE, 68);
    return sysBpf(CMD.PROG_LOAD, attr);
  };
  const fd = load();
  if (fd >= 0) return fd;
  if (-fd !== E.EINVAL && -fd !== E.EACCES) throw new BpfError('BPF_PROG_LOAD', -fd);
  const log = Buffer.alloc(LOG_SIZE);
  const again = load(log);
  if (again >= 0) return again;
  throw new BpfError('BPF_PROG_LOAD', -again, verifierReason(cString(log)) || undefined);
}

/** The ids of the device programs attached to this cgroup itself (not those inherited from ancestors). */
export function attachedDevicePrograms(cgroupFd: number): number[] {
  const ids = Buffer.alloc(MAX_PROGS * 4);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(cgroupFd, 0);
  attr.writeUInt32LE(ATTACH_CGROUP_DEVICE, 4);
  attr.writeBigUInt64LE(addr(ids), 16);
  attr.writeUInt32LE(MAX_PROGS, 24);
  check(CMD.PROG_QUERY, sysBpf(CMD.PROG_QUERY, attr));
  const n = attr.readUInt32LE(24);
  return Array.from({ length: n }, (_, i) => ids.readUInt32LE(i * 4));
}

/** An fd for a loaded program; undefined when the program is gone meanwhile or an LSM hides it from us. */
function programFd(id: number): number | undefined {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  const fd = sysBpf(CMD.PROG_GET_FD_BY_ID, attr);
  if (fd >= 0) return fd;
  // ENOENT: detached and freed since the query. EPERM/EACCES: runc skips such programs too; another device program
  // can only take access away, never grant it.
  if (errnoName(-fd) === 'ENOENT' || -fd === E.EPERM || -fd === E.EACCES) return undefined;
  throw new BpfError('BPF_PROG_GET_FD_BY_ID', -fd);
}

function attach(cgroupFd: number, progFd: number, replaceFd?: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(cgroupFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(ATTACH_CGROUP_DEVICE, 8);
  attr.writeUInt32LE(F_ALLOW_MULTI | (replaceFd === undefined ? 0 : F_REPLACE), 12);
  if (replaceFd !== undefined) attr.writeUInt32LE(replaceFd, 16);
  return sysBpf(CMD.PROG_ATTACH, attr);
}

function detach(cgroupFd: number, progFd: number): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(cgroupFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(ATTACH_CGROUP_DEVICE, 8);
  check(CMD.PROG_DETACH, sysBpf(CMD.PROG_DETACH, attr));
}

/**
 * Old kernels charge BPF programs to RLIMIT_MEMLOCK (before 5.11's memcg accounting); raise it for this process only,
 * as runc does: to unlimited, or without CAP_SYS_RESOURCE to the hard limit. The container does not inherit it (its
 * native stage is spawned before resources are applied, and sets the config's rlimits). Failure is not fatal: newer
 * kernels do not need it, and a load that still fails says so itself.
 */
function raiseMemlock(): void {
  const inf = 0xffffffffffffffffn;
  if ((c().setrlimit(RLIMIT_MEMLOCK, [inf, inf]) as number) === 0) return;
  const now = [0n, 0n];
  if ((c().getrlimit(RLIMIT_MEMLOCK, now) as number) === 0 && now[1] !== undefined) c().setrlimit(RLIMIT_MEMLOCK, [now[1], now[1]]);
}

/** Makes `insns` the device program of the cgroup2 directory `dir`, replacing the one(s) attached there before. */
export function setCgroupDeviceFilter(dir: string, insns: Uint8Array, license: string): void {
  raiseMemlock();
  const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const fds: number[] = [];
  try {
    const old = attachedDevicePrograms(dirFd).flatMap((id) => programFd(id) ?? []);
    fds.push(...old);
    const prog = loadDeviceProgram(insns, license);
    fds.push(prog);
    const [only] = old;
    if (old.length === 1 && only !== undefined) {
      const rc = attach(dirFd, prog, only);
      if (rc >= 0) return;
      // EINVAL: a kernel without BPF_F_REPLACE; attach, then detach below.
      if (-rc !== E.EINVAL) throw new BpfError('BPF_PROG_ATTACH', -rc);
    }
    check(CMD.PROG_ATTACH, attach(dirFd, prog));
    for (const fd of old) detach(dirFd, fd);
  } finally {
    for (const fd of fds) c().close(fd);
    fs.closeSync(dirFd);
  }
}

/** Detaches every device program of the cgroup2 directory (tests; a removed cgroup drops its programs itself). */
export function clearCgroupDeviceFilters(dir: string): void {
  const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    for (const id of attachedDevicePrograms(dirFd)) {
      const fd = programFd(id);
      if (fd === undefined) continue;
      try {
        detach(dirFd, fd);
      } finally {
        c().close(fd);
      }
    }
  } finally {
    fs.closeSync(dirFd);
  }
}
